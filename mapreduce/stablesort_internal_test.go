package mapreduce

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// sortPairsStable orders as slices.SortStableFunc does, equal keys in
// their first order, NaN keys first, at every length around the run and
// merge boundaries.
func TestSortPairsStableMatchesTheLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf []Pair[float64, int]
	for _, n := range []int{0, 1, 2, 23, 24, 25, 47, 48, 49, 96, 97, 1000, 4099} {
		for _, distinct := range []int{1, 3, 50, 1 << 20} {
			pairs := make([]Pair[float64, int], n)
			for i := range pairs {
				k := float64(rng.IntN(distinct))
				if rng.IntN(50) == 0 {
					k = math.NaN()
				}
				pairs[i] = Pair[float64, int]{k, i}
			}
			want := slices.Clone(pairs)
			slices.SortStableFunc(want, func(a, b Pair[float64, int]) int { return cmp.Compare(a.Key, b.Key) })
			sortPairsStable(pairs, &buf)
			require.Len(t, pairs, n)
			for i := range want {
				require.Equal(t, want[i].Value, pairs[i].Value, "n=%d distinct=%d at %d", n, distinct, i)
			}
		}
	}
}
