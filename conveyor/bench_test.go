package conveyor_test

import (
	"context"
	"testing"
	"time"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/conveyor"
)

// BenchmarkHistogram: the bale histogram on 2 in-process ranks, b.N
// 8-byte updates per rank to random entries of a table spread over both,
// in batches of 1024 and, as the reference in the same run, one value per
// message (WithBatch(1)).
//
//	go test -run XXX -bench Histogram -benchtime 2000000x ./conveyor/
func BenchmarkHistogram(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
	}{{"batch1024", 1024}, {"batch1", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			n := b.N
			if bc.batch == 1 {
				n = min(n, 200_000) // about a million a second: keep it short
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			var elapsed time.Duration
			err := cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
				table := make([]int64, 1000)
				cv, err := conveyor.New(ctx, c, "bench", func(_ context.Context, _ int, idx uint64) error {
					table[idx>>1]++
					return nil
				}, conveyor.WithBatch(bc.batch))
				if err != nil {
					return err
				}
				defer cv.Close(ctx)
				x := uint64(c.Rank()+1) * 0x9E3779B97F4A7C15
				start := time.Now()
				for range n {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
					idx := x % 2000
					if err := cv.Send(ctx, int(idx&1), idx); err != nil {
						return err
					}
				}
				if err := cv.Done(ctx); err != nil {
					return err
				}
				if c.Rank() == 0 {
					elapsed = time.Since(start)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), "updates/s-per-rank")
			b.ReportMetric(0, "ns/op")
		})
	}
}
