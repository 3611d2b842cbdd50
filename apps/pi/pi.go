// Package pi is a task farm on package farm: rank 0 cuts the integral of
// 4/(1+x²) over [0, 1] (which is π) into tasks, maps them over workers on
// every rank, and adds up the answers. It reports tasks per second and how
// far the sum is from π. cmd/actorrun runs it:
//
//	actorrun pi --ranks 4 --tasks 100000
package pi

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/farm"
	"github.com/rmactor/rmactor/rma"
)

// Task asks a worker for the midpoint sum of 4/(1+x²) over steps
// [First, First+Count) of width Width.
type Task struct {
	First, Count int64
	Width        float64
}

// Config is the app's parameters.
type Config struct {
	Tasks   int // tasks rank 0 hands out
	Steps   int // integration steps per task
	Chunk   int // tasks per message (farm.Chunk)
	Workers int // worker goroutines per rank
}

// DefaultConfig is 100 000 tasks of 100 steps, 16 to a message, 2 workers
// per rank.
func DefaultConfig() Config { return Config{Tasks: 100000, Steps: 100, Chunk: 16, Workers: 2} }

// Flags registers the app's flags on fs.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Tasks, "tasks", cfg.Tasks, "tasks to hand out")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "integration steps per task")
	fs.IntVar(&cfg.Chunk, "chunk", cfg.Chunk, "tasks per message")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "worker goroutines per rank")
}

// Cluster is the job configuration the app needs: nothing beyond the
// defaults (a farm registers nothing).
func Cluster() cluster.Config { return cluster.Config{} }

func partial(_ context.Context, t Task) (float64, error) {
	sum := 0.0
	for i := t.First; i < t.First+t.Count; i++ {
		x := (float64(i) + 0.5) * t.Width
		sum += 4 / (1 + x*x)
	}
	return sum * t.Width, nil
}

// Run is the SPMD program; rank 0 maps the tasks over the farm and writes
// the report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Tasks < 1 || cfg.Steps < 1 || cfg.Chunk < 1 || cfg.Workers < 1 {
		return fmt.Errorf("%w: pi %+v", rma.ErrInvalidArgument, cfg)
	}
	f, err := farm.New(ctx, c, "pi", partial, farm.WithWorkers(cfg.Workers))
	if err != nil {
		return err
	}
	if c.Rank() == 0 {
		width := 1 / float64(cfg.Tasks*cfg.Steps)
		tasks := func(yield func(Task) bool) {
			for i := range cfg.Tasks {
				if !yield(Task{First: int64(i * cfg.Steps), Count: int64(cfg.Steps), Width: width}) {
					return
				}
			}
		}
		start := time.Now()
		sum := 0.0
		for v, err := range f.Map(ctx, tasks, farm.Chunk(cfg.Chunk)) {
			if err != nil {
				return err
			}
			sum += v
		}
		rate := float64(cfg.Tasks) / time.Since(start).Seconds()
		fmt.Fprintf(out, "pi ≈ %.15f (error %.1e), %d tasks of %d steps on %d ranks: %.0f tasks/s\n",
			sum, math.Abs(sum-math.Pi), cfg.Tasks, cfg.Steps, c.Size(), rate)
	}
	return f.Close(ctx)
}
