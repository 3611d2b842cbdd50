package farm

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/rma"
)

// Farm runs tasks of type T, producing results of type R, on worker
// goroutines on every rank of a cluster. Any rank may submit; a rank sends
// a chunk of tasks to another rank only while that rank has an idle worker
// slot for it, so work goes where workers are free and a slow task holds
// up only its own slot.
type Farm[T, R any] struct {
	c     *cluster.Cluster
	sys   *actor.System
	name  string
	fn    func(context.Context, T) (R, error)
	cfg   config
	pools []*actor.PID // every rank's pool actor
	slots int          // chunks this rank may have out, over all ranks

	// The submitting side.
	mu      sync.Mutex
	nextID  uint64
	free    []int                // chunks each rank may still be sent by this one
	changed chan struct{}        // closed (and replaced) whenever a slot frees
	pending map[uint64]*inFlight // chunks sent and not answered, by first id
	closed  bool

	// The working side.
	work    workQueue
	wg      sync.WaitGroup
	life    context.Context // ends at Close: running tasks see it
	end     context.CancelFunc
	running sync.Map // chunkKey → context.CancelFunc of the chunk being run

	submitted, completed, failed atomic.Int64
	// resultBytes is the size of the last encoded result, the capacity
	// the next one starts with (no growth copies for large results).
	resultBytes atomic.Int64
}

// inFlight is a chunk sent to a rank and not yet answered.
type inFlight struct {
	rank      int
	first     uint64
	n         int
	cancelled atomic.Bool
	deliver   func(rank, i int, payload []byte, status byte) // called by the pool actor
}

type chunkKey struct {
	from  int
	first uint64
}

// Stats counts the tasks this rank submitted.
type Stats struct {
	Submitted int64 // tasks handed to Submit, Map or MapUnordered
	Completed int64 // tasks whose result came back
	Failed    int64 // among them, tasks that failed (an error, a panic, a timeout, cancelled)
	InFlight  int64 // tasks sent and not yet answered
}

// New starts a farm named name on every rank: it is collective, and every
// rank must call it with the same name and a fn that does the same work.
// The farm's workers run until Close, or until ctx ends.
// fn runs on worker goroutines, given a context that ends when the task's
// timeout (WithTaskTimeout) passes, when its submitter cancels it, or at
// Close. T and R travel between ranks in the codec's encoding
// (codec.AppendValue): plain Go values of exported fields, or protobuf
// messages.
func New[T, R any](ctx context.Context, c *cluster.Cluster, name string, fn func(context.Context, T) (R, error), opts ...Option) (*Farm[T, R], error) {
	if c == nil || fn == nil || name == "" {
		return nil, fmt.Errorf("%w: farm.New needs a cluster, a name and a function", rma.ErrInvalidArgument)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	f := &Farm[T, R]{c: c, sys: c.System(), name: name, fn: fn, cfg: cfg,
		pending: make(map[uint64]*inFlight), changed: make(chan struct{})}
	// The workers live until Close, or until the job's context ends (a
	// program that failed before Close leaves nothing running).
	f.life, f.end = context.WithCancel(ctx)
	f.work.init()
	context.AfterFunc(f.life, f.work.close)
	size := c.Size()
	f.free = make([]int, size)
	f.pools = make([]*actor.PID, size)
	for k := range size {
		f.pools[k] = actor.PIDOn(k, poolName(name))
		if k != 0 || cfg.rankZero {
			f.free[k] = cfg.workers * cfg.prefetch
			f.slots += f.free[k]
		}
	}
	if size == 1 && !cfg.rankZero {
		f.end()
		return nil, fmt.Errorf("%w: a farm without workers on rank 0 needs more than one rank", rma.ErrInvalidArgument)
	}
	if _, err := f.sys.SpawnNamed(actor.PropsFromFunc(f.receive), poolName(name)); err != nil {
		f.end()
		return nil, fmt.Errorf("farm %q: %w", name, err)
	}
	if c.Rank() != 0 || cfg.rankZero {
		for range cfg.workers {
			f.wg.Add(1)
			go f.worker()
		}
	}
	if err := c.Barrier(ctx); err != nil {
		f.shutdown()
		return nil, fmt.Errorf("farm %q: %w", name, err)
	}
	return f, nil
}

func poolName(name string) string { return "farm." + name }

// Stats reads this rank's counters.
func (f *Farm[T, R]) Stats() Stats {
	f.mu.Lock()
	var inflight int64
	for _, p := range f.pending {
		inflight += int64(p.n)
	}
	f.mu.Unlock()
	return Stats{Submitted: f.submitted.Load(), Completed: f.completed.Load(), Failed: f.failed.Load(), InFlight: inflight}
}

// Close ends the farm. It is collective: it waits until every task this
// rank submitted has come back (or ctx ends), meets the other ranks, then
// stops the workers and the rank's pool. Submitting after Close fails with
// ErrClosed.
func (f *Farm[T, R]) Close(ctx context.Context) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return fmt.Errorf("farm %q: %w", f.name, ErrClosed)
	}
	f.closed = true
	f.mu.Unlock()
	var errs []error
	if err := f.waitPending(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := f.c.Barrier(ctx); err != nil {
		errs = append(errs, fmt.Errorf("farm %q: close: %w", f.name, err))
	}
	f.shutdown()
	if err := f.c.Barrier(ctx); err != nil {
		errs = append(errs, fmt.Errorf("farm %q: close: %w", f.name, err))
	}
	return errors.Join(errs...)
}

// waitPending waits until every chunk this rank sent has come back.
func (f *Farm[T, R]) waitPending(ctx context.Context) error {
	for {
		f.mu.Lock()
		left, changed := len(f.pending), f.changed
		f.mu.Unlock()
		if left == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("farm %q: close: %d chunk(s) still out: %w", f.name, left, ctx.Err())
		}
	}
}

// shutdown stops the workers and the pool actor of this rank.
func (f *Farm[T, R]) shutdown() {
	f.end()
	f.work.close()
	f.wg.Wait()
	pid := actor.PIDOn(f.c.Rank(), poolName(f.name))
	_ = f.sys.Root().StopFuture(pid).Wait()
}

// config is a farm's options.
type config struct {
	workers  int
	prefetch int
	rankZero bool
	timeout  time.Duration
}

func defaultConfig() config {
	return config{workers: runtime.GOMAXPROCS(0), prefetch: 2, rankZero: true}
}

// Option configures a farm.
type Option func(*config) error

// WithWorkers sets the worker goroutines per rank (default GOMAXPROCS).
func WithWorkers(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: %d workers per rank", rma.ErrInvalidArgument, n)
		}
		c.workers = n
		return nil
	}
}

// WithPrefetch sets how many chunks per worker a submitting rank keeps
// sent to a rank (default 2: one running, one waiting, so that a worker
// never waits for a network round trip between chunks).
func WithPrefetch(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: prefetch %d", rma.ErrInvalidArgument, n)
		}
		c.prefetch = n
		return nil
	}
}

// WithRankZero chooses whether rank 0 runs workers too (the default); off
// leaves rank 0 to submit and gather.
func WithRankZero(on bool) Option {
	return func(c *config) error { c.rankZero = on; return nil }
}

// WithTaskTimeout bounds each task's run: its context ends after d, and a
// task still running then fails with ErrTimeout. 0 (the default) sets no
// bound.
func WithTaskTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: task timeout %v", rma.ErrInvalidArgument, d)
		}
		c.timeout = d
		return nil
	}
}
