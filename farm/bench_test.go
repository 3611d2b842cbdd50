package farm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/farm"
)

type empty struct{}

func nothing(context.Context, empty) (empty, error) { return empty{}, nil }

// benchFarm runs b.N empty tasks from rank 0 of 2 in-process ranks through
// use, and reports tasks/s.
func benchFarm(b *testing.B, use func(ctx context.Context, f *farm.Farm[empty, empty], n int) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		f, err := farm.New(ctx, c, "bench", nothing)
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			b.ResetTimer()
			start := time.Now()
			if err := use(ctx, f, b.N); err != nil {
				return err
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
			b.StopTimer()
		}
		return f.Close(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
}

func emptyTasks(n int) func(func(empty) bool) {
	return func(yield func(empty) bool) {
		for range n {
			if !yield(empty{}) {
				return
			}
		}
	}
}

func BenchmarkMap(b *testing.B) {
	for _, chunk := range []int{1, 64, 1024} {
		b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
			benchFarm(b, func(ctx context.Context, f *farm.Farm[empty, empty], n int) error {
				for _, err := range f.Map(ctx, emptyTasks(n), farm.Chunk(chunk)) {
					if err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}

func BenchmarkSubmit(b *testing.B) {
	benchFarm(b, func(ctx context.Context, f *farm.Farm[empty, empty], n int) error {
		// One task at a time per Submit, with a window of futures.
		const window = 256
		futures := make([]*farm.Future[empty], 0, window)
		for i := range n {
			if len(futures) == window {
				if _, err := futures[0].Wait(ctx); err != nil {
					return err
				}
				futures = futures[1:]
			}
			fu, err := f.Submit(ctx, empty{})
			if err != nil {
				return err
			}
			futures = append(futures, fu)
			_ = i
		}
		for _, fu := range futures {
			if _, err := fu.Wait(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkResults50KB: tasks whose results are 50 KB, mapped in chunks of
// 4 from rank 0 of 2 in-process ranks; reports the results' bytes/s.
func BenchmarkResults50KB(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	payload := make([]byte, 50<<10)
	err := cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		f, err := farm.New(ctx, c, "results", func(context.Context, int) ([]byte, error) { return payload, nil })
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			b.ResetTimer()
			start := time.Now()
			var bytes int
			for v, err := range f.Map(ctx, func(yield func(int) bool) {
				for i := range b.N {
					if !yield(i) {
						return
					}
				}
			}, farm.Chunk(4)) {
				if err != nil {
					return err
				}
				bytes += len(v)
			}
			b.ReportMetric(float64(bytes)/time.Since(start).Seconds()/1e9, "GB/s")
			b.StopTimer()
		}
		return f.Close(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
}
