package mapreduce

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunFileRoundTripAndDamage(t *testing.T) {
	sp := newSpiller(t.TempDir(), "t/x y", 3)
	sz := newSizes[string, []int]()
	pairs := make([]Pair[string, []int], 5000)
	for i := range pairs {
		pairs[i] = Pair[string, []int]{Key: string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('0'+i/676)), Value: []int{i, i}}
	}
	path, err := writeRun(sp, &sliceCursor[string, []int]{pairs: pairs}, sz.pair)
	require.NoError(t, err)
	require.Contains(t, filepath.Base(filepath.Dir(path)), "rmactor-mapreduce-t_x_y-rank3-")
	files, bytes := sp.counts()
	require.EqualValues(t, 1, files)

	rr, err := openRun[string, []int](path)
	require.NoError(t, err)
	n := 0
	for k, v, ok := rr.pair(); ok; k, v, ok = rr.pair() {
		require.Equal(t, pairs[n].Key, k)
		require.Equal(t, pairs[n].Value, v)
		n++
	}
	rr.close()
	require.NoError(t, rr.err)
	require.Equal(t, len(pairs), n)

	// Cut short: the reader stops with ErrSpill naming the file.
	require.NoError(t, os.Truncate(path, bytes/2))
	rr, err = openRun[string, []int](path)
	require.NoError(t, err)
	for _, _, ok := rr.pair(); ok; _, _, ok = rr.pair() {
	}
	rr.close()
	require.ErrorIs(t, rr.err, ErrSpill)
	require.ErrorContains(t, rr.err, path)

	require.NoError(t, sp.remove())
	_, err = os.Stat(filepath.Dir(path))
	require.True(t, os.IsNotExist(err))
	_, err = sp.path()
	require.ErrorIs(t, err, ErrSpill, "a removed spiller makes no new files")
}

func TestSizerCountsWhatValuesHold(t *testing.T) {
	require.Equal(t, 16+5, newSizer[string]().of("hello"))
	require.Equal(t, 8, newSizer[int64]().of(7))
	require.Equal(t, 24+3*16+2, newSizer[[]string]().of([]string{"a", "b", ""}))
	type node struct {
		Name  string
		Links []int
	}
	require.Equal(t, 16+24+4+4*8, newSizer[node]().of(node{Name: "abcd", Links: []int{1, 2, 3, 4}}))
}

func TestHashPartitionIsFixedAndSpreads(t *testing.T) {
	// FNV-1a, the same in every process: the standard library's, of a
	// string's bytes or a number's 8 little-endian bytes.
	fnvOf := func(b []byte) uint64 {
		h := fnv.New64a()
		h.Write(b)
		return h.Sum64()
	}
	for _, k := range []string{"", "a", "word", strings.Repeat("long key ", 100), "\xff\x00"} {
		for _, n := range []int{2, 3, 7, 64} {
			require.Equal(t, int(fnvOf([]byte(k))%uint64(n)), hashPartition[string]()(k, n), "%q on %d ranks", k, n)
		}
	}
	for _, k := range []int64{0, 1, -1, 1 << 40} {
		b := binary.LittleEndian.AppendUint64(nil, uint64(k))
		require.Equal(t, int(fnvOf(b)%7), hashPartition[int64]()(k, 7), "%d", k)
	}
	require.Equal(t, 0, hashPartition[string]()("anything", 1))
	require.Equal(t, hashPartition[float64]()(0, 5), hashPartition[float64]()(math.Copysign(0, -1), 5), "-0 and +0 are one key")
	require.Equal(t, hashPartition[int64]()(42, 9), hashPartition[int]()(42, 9), "ints hash by value")
	require.Equal(t, hashPartition[uint8]()(42, 9), hashPartition[uint64]()(42, 9))
	seen := map[int]int{}
	for i := range 1000 {
		seen[hashPartition[int32]()(int32(i), 4)]++
	}
	for r := range 4 {
		require.Greater(t, seen[r], 150, "rank %d of 4 gets %d of 1000 keys", r, seen[r])
	}
}
