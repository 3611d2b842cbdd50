// Package pi is a task farm: rank 0 cuts the integral of 4/(1+x²) over
// [0, 1] (which is π) into tasks, hands them to worker actors on every rank
// through request futures, and adds up the answers. It reports tasks per
// second and how far the sum is from π. cmd/actorrun runs it:
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

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/rma"
)

// Task asks a worker for the midpoint sum of 4/(1+x²) over steps
// [First, First+Count) of width Width.
type Task struct {
	First, Count int64
	Width        float64
}

// Answer is a worker's partial sum.
type Answer struct{ Sum float64 }

// Config is the app's parameters.
type Config struct {
	Tasks    int // tasks rank 0 hands out
	Steps    int // integration steps per task
	InFlight int // requests outstanding at once
	Workers  int // worker actors per rank
}

// DefaultConfig is 100 000 tasks of 100 steps, 256 in flight, 2 workers per
// rank.
func DefaultConfig() Config { return Config{Tasks: 100000, Steps: 100, InFlight: 256, Workers: 2} }

// Flags registers the app's flags on fs.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Tasks, "tasks", cfg.Tasks, "tasks to hand out")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "integration steps per task")
	fs.IntVar(&cfg.InFlight, "inflight", cfg.InFlight, "requests outstanding at once")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "worker actors per rank")
}

const workerKind = "pi.worker"

// Cluster is the job configuration the app needs: its worker kind and its
// message types.
func Cluster() cluster.Config {
	worker := actor.PropsFromFunc(func(c actor.Context) {
		t, ok := c.Message().(*Task)
		if !ok {
			return
		}
		c.Respond(&Answer{Sum: partial(t)})
	})
	return cluster.Config{
		Kinds: []cluster.Kind{cluster.NewKind(workerKind, worker)},
		Types: []codec.Option{codec.Type[*Task]("pi.task"), codec.Type[*Answer]("pi.answer")},
	}
}

func partial(t *Task) float64 {
	sum := 0.0
	for i := t.First; i < t.First+t.Count; i++ {
		x := (float64(i) + 0.5) * t.Width
		sum += 4 / (1 + x*x)
	}
	return sum * t.Width
}

// Result is what rank 0 measured.
type Result struct {
	Pi          float64
	TasksPerSec float64
}

// Run is the SPMD program; rank 0 farms the tasks out and writes the
// report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Tasks < 1 || cfg.Steps < 1 || cfg.InFlight < 1 || cfg.Workers < 1 {
		return fmt.Errorf("%w: pi %+v", rma.ErrInvalidArgument, cfg)
	}
	if c.Rank() != 0 {
		return nil
	}
	var workers []*actor.PID
	for range cfg.Workers {
		pids, err := c.SpawnEverywhere(ctx, workerKind)
		if err != nil {
			return err
		}
		workers = append(workers, pids...)
	}
	r, err := farm(ctx, c, cfg, workers)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "pi ≈ %.15f (error %.1e), %d tasks of %d steps on %d ranks: %.0f tasks/s\n",
		r.Pi, math.Abs(r.Pi-math.Pi), cfg.Tasks, cfg.Steps, c.Size(), r.TasksPerSec)
	return nil
}

func farm(ctx context.Context, c *cluster.Cluster, cfg Config, workers []*actor.PID) (Result, error) {
	root := c.System().Root()
	width := 1 / float64(cfg.Tasks*cfg.Steps)
	timeout := time.Minute
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	pending := make([]*actor.Future, 0, cfg.InFlight)
	sum := 0.0
	wait := func() error {
		v, err := pending[0].Result()
		pending = pending[1:]
		if err != nil {
			return fmt.Errorf("pi: task: %w", err)
		}
		a, ok := v.(*Answer)
		if !ok {
			return fmt.Errorf("%w: pi worker answered %T", rma.ErrCorrupt, v)
		}
		sum += a.Sum
		return nil
	}
	start := time.Now()
	for i := range cfg.Tasks {
		if len(pending) == cfg.InFlight {
			if err := wait(); err != nil {
				return Result{}, err
			}
		}
		t := &Task{First: int64(i * cfg.Steps), Count: int64(cfg.Steps), Width: width}
		pending = append(pending, root.RequestFuture(workers[i%len(workers)], t, timeout))
	}
	for len(pending) > 0 {
		if err := wait(); err != nil {
			return Result{}, err
		}
	}
	return Result{Pi: sum, TasksPerSec: float64(cfg.Tasks) / time.Since(start).Seconds()}, nil
}
