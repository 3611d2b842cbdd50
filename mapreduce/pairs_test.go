package mapreduce_test

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mapreduce"
)

// point is a value of fixed shape: a struct of numbers.
type point struct {
	Count int32
	Sum   float64
}

// Keys and values of fixed shape shuffle on a conveyor (a pair's memory
// size on the wire, no codec), with the same answers as a sequential fold and a
// sequential per-key reduce, spilled or not, on one rank and on several.
func TestFixedPairsShuffleOnAConveyor(t *testing.T) {
	const n = 60_000
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	key := func(i int) int64 { return int64(i*7919) % 5003 }
	wantSum := map[int64]int{}
	for _, i := range items {
		wantSum[key(i)] += i
	}
	for _, ranks := range []int{1, 3} {
		for _, memory := range []int64{mapreduce.DefaultMemory, 16 << 10} {
			t.Run(fmt.Sprint(ranks, "/", memory), func(t *testing.T) {
				tmp := t.TempDir()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				err := cluster.Run(ctx, cluster.Config{Ranks: ranks}, func(ctx context.Context, c *cluster.Cluster) error {
					opts := []mapreduce.Option{mapreduce.WithMemory(memory), mapreduce.WithTempDir(tmp)}
					sums, err := mapreduce.Run(ctx, c, "sums", mapreduce.Slice(items), func(i int, emit func(int64, int)) error {
						emit(key(i), i)
						return nil
					}, func(a, b int) int { return a + b }, opts...)
					if err != nil {
						return err
					}
					defer sums.Close()
					// Pairs for another rank cost their memory size each
					// (16 bytes for int64 and int, 24 with a point); a
					// rank's own pairs are not encoded (0 bytes).
					fixed := func(s mapreduce.Stats, width int64) error {
						if s.ShuffleBytes%width != 0 || s.ShuffleBytes > width*s.Shuffled || (c.Size() > 1 && 2*s.ShuffleBytes < width*s.Shuffled) {
							return fmt.Errorf("%d pairs shuffled in %d bytes: not %d bytes for each of the other ranks' pairs", s.Shuffled, s.ShuffleBytes, width)
						}
						return nil
					}
					if err := fixed(sums.Stats(), 16); err != nil {
						return err
					}
					points, err := mapreduce.Reduce(ctx, c, "points", mapreduce.Slice(items), func(i int, emit func(int64, point)) error {
						emit(key(i), point{Count: 1, Sum: float64(i)})
						return nil
					}, func(_ int64, values iter.Seq[point]) (point, error) {
						var p point
						for v := range values {
							p.Count += v.Count
							p.Sum += v.Sum
						}
						return p, nil
					}, opts...)
					if err != nil {
						return err
					}
					defer points.Close()
					if err := fixed(points.Stats(), 24); err != nil {
						return err
					}
					gotSums, err := sums.Gather(ctx)
					if err != nil {
						return err
					}
					gotPoints, err := points.Gather(ctx)
					if err != nil || c.Rank() != 0 {
						return err
					}
					if len(gotSums) != len(wantSum) || len(gotPoints) != len(wantSum) {
						return fmt.Errorf("%d and %d keys, want %d", len(gotSums), len(gotPoints), len(wantSum))
					}
					for k, w := range wantSum {
						if gotSums[k] != w || gotPoints[k].Sum != float64(w) {
							return fmt.Errorf("key %d: %d and %v, want %d", k, gotSums[k], gotPoints[k], w)
						}
					}
					return nil
				})
				require.NoError(t, err)
				requireEmptyDir(t, tmp)
			})
		}
	}
}

// A reducer that cannot spill pairs that came on the conveyor fails the
// job on every rank, with ErrSpill on the rank that failed.
func TestFixedPairsSpillErrorReachesEveryRank(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	items := make([]int, 20_000)
	for i := range items {
		items[i] = i
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make([]error, 2)
	err := cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		_, err := mapreduce.Reduce(ctx, c, "nospill", mapreduce.Slice(items), func(i int, emit func(int, int)) error {
			emit(i, i)
			return nil
		}, func(k int, _ iter.Seq[int]) (int, error) { return k, nil },
			mapreduce.WithMemory(8<<10), mapreduce.WithTempDir(notADir))
		errs[c.Rank()] = err
		return err
	})
	require.ErrorIs(t, err, mapreduce.ErrSpill)
	for k, e := range errs {
		require.Error(t, e, "rank %d", k)
	}
}
