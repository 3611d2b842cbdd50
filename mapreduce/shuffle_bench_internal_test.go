package mapreduce

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/rmactor/rmactor/cluster"
)

// BenchmarkShuffleFixedPairs: a per-key reduce (no combiner, so every
// pair crosses the shuffle) of int64 keys and values on 2 in-process
// ranks, on the conveyor and, beside it, in encoded batches.
//
//	go test -run XXX -bench ShuffleFixedPairs -benchtime 2000000x ./mapreduce/
func BenchmarkShuffleFixedPairs(b *testing.B) {
	for _, path := range []string{"conveyor", "codec"} {
		b.Run(path, func(b *testing.B) {
			items := make([]int64, b.N)
			for i := range items {
				items[i] = int64(i)
			}
			var opts []Option
			if path == "codec" {
				opts = append(opts, func(c *config) error { c.codecShuffle = true; return nil })
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			b.ResetTimer()
			err := cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
				res, err := Reduce(ctx, c, "bench", Slice(items), func(i int64, emit func(int64, int64)) error {
					emit(i%100_003, i)
					return nil
				}, func(_ int64, values iter.Seq[int64]) (int64, error) {
					var s int64
					for v := range values {
						s += v
					}
					return s, nil
				}, opts...)
				if err != nil {
					return err
				}
				return res.Close()
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}
