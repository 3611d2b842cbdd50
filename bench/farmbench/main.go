// Command farmbench measures package farm as a job of its own, in process
// or under mpirun (built with -tags mpi), where the in-process benchmarks
// of farm/bench_test.go cannot run (MPI starts once per process). Rank 0
// drives; workers run on every rank (on rank 0 too unless -rank-zero=false):
//
//	go build -tags mpi -o /tmp/farmbench ./bench/farmbench
//	mpirun -n 2 /tmp/farmbench -mode results -result-bytes 51200 -rank-zero=false
//
// Modes: map (empty tasks through Map in chunks), submit (empty tasks one
// Submit each, a window of 256 futures), results (tasks returning
// -result-bytes bytes through Map in chunks). One line per run:
// "farmbench mode=... tasks=... seconds=... tasks/s=... GB/s=...".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/farm"
)

func main() {
	mode := flag.String("mode", "map", "map, submit or results")
	tasks := flag.Int("tasks", 1_000_000, "tasks to run")
	chunk := flag.Int("chunk", 1024, "tasks per message for map and results")
	resultBytes := flag.Int("result-bytes", 50<<10, "bytes each task returns (results)")
	rankZero := flag.Bool("rank-zero", true, "run workers on rank 0 as well")
	ranks := flag.Int("ranks", 2, "in-process ranks (under MPI the job's size)")
	profile := flag.String("cpuprofile", "", "write each rank's CPU profile to `prefix`.rankN")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: *ranks}, func(ctx context.Context, c *cluster.Cluster) error {
		if *profile != "" {
			f, err := os.Create(fmt.Sprintf("%s.rank%d", *profile, c.Rank()))
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		payload := make([]byte, *resultBytes)
		f, err := farm.New(ctx, c, "farmbench", func(_ context.Context, i int) ([]byte, error) {
			if *mode == "results" {
				return payload, nil
			}
			return nil, nil
		}, farm.WithRankZero(*rankZero))
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			start := time.Now()
			bytes, err := drive(ctx, f, *mode, *tasks, *chunk)
			if err != nil {
				return err
			}
			s := time.Since(start).Seconds()
			fmt.Printf("farmbench mode=%s ranks=%d rank-zero=%v chunk=%d tasks=%d seconds=%.3f tasks/s=%.0f GB/s=%.3f\n",
				*mode, c.Size(), *rankZero, *chunk, *tasks, s, float64(*tasks)/s, float64(bytes)/s/1e9)
		}
		return f.Close(ctx)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "farmbench:", err)
		os.Exit(1)
	}
}

// drive runs n tasks from rank 0 and returns the result bytes it got.
func drive(ctx context.Context, f *farm.Farm[int, []byte], mode string, n, chunk int) (int, error) {
	inputs := func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
	bytes := 0
	switch mode {
	case "map", "results":
		for v, err := range f.Map(ctx, inputs, farm.Chunk(chunk)) {
			if err != nil {
				return bytes, err
			}
			bytes += len(v)
		}
	case "submit":
		const window = 256
		futures := make([]*farm.Future[[]byte], 0, window)
		for i := range n {
			if len(futures) == window {
				if _, err := futures[0].Wait(ctx); err != nil {
					return bytes, err
				}
				futures = futures[1:]
			}
			fu, err := f.Submit(ctx, i)
			if err != nil {
				return bytes, err
			}
			futures = append(futures, fu)
		}
		for _, fu := range futures {
			if _, err := fu.Wait(ctx); err != nil {
				return bytes, err
			}
		}
	default:
		return 0, fmt.Errorf("unknown mode %q (map, submit, results)", mode)
	}
	return bytes, nil
}
