package farm

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/rma"
)

// Result is one task's outcome, as MapUnordered yields it: its index in
// the input sequence, and its value or TaskError.
type Result[R any] struct {
	Index int
	Value R
	Err   error
}

// MapOption configures Map and MapUnordered.
type MapOption func(*mapConfig) error

type mapConfig struct{ chunk int }

// Chunk sends tasks n at a time (default 1): a chunk is one message each
// way and runs on one worker, so larger chunks cost less per task and
// balance the load more coarsely (mpi4py's chunksize).
func Chunk(n int) MapOption {
	return func(c *mapConfig) error {
		if n < 1 {
			return fmt.Errorf("%w: chunk of %d tasks", rma.ErrInvalidArgument, n)
		}
		c.chunk = n
		return nil
	}
}

// Map runs every task of tasks on the farm and yields the results in the
// order of the tasks: each with nil, or with its TaskError (and R's zero
// value). Tasks are read as workers free up; results that come early wait
// in a window of a few chunks per worker slot. If ctx ends, or the loop
// stops early, the tasks still out are cancelled; an ended ctx is yielded
// last, as an error with R's zero value.
func (f *Farm[T, R]) Map(ctx context.Context, tasks iter.Seq[T], opts ...MapOption) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		cfg, err := mapOptions(opts)
		if err != nil {
			var zero R
			yield(zero, err)
			return
		}
		buf := map[int]Result[R]{}
		next := 0
		window := f.window(cfg.chunk)
		f.run(ctx, tasks, cfg, func(reading int) bool {
			// Bound what waits for a slow early task.
			return reading-next < window
		}, func(r Result[R]) bool {
			buf[r.Index] = r
			for {
				o, ok := buf[next]
				if !ok {
					return true
				}
				delete(buf, next)
				next++
				if !yield(o.Value, o.Err) {
					return false
				}
			}
		}, func(err error) {
			var zero R
			yield(zero, err)
		})
	}
}

// MapUnordered is Map yielding each result as it comes, with its index.
func (f *Farm[T, R]) MapUnordered(ctx context.Context, tasks iter.Seq[T], opts ...MapOption) iter.Seq[Result[R]] {
	return func(yield func(Result[R]) bool) {
		fail := func(err error) { yield(Result[R]{Index: -1, Err: err}) }
		cfg, err := mapOptions(opts)
		if err != nil {
			fail(err)
			return
		}
		f.run(ctx, tasks, cfg, func(int) bool { return true }, yield, fail)
	}
}

// window is how many tasks Map lets run ahead of the first it has not
// yielded, with chunks of chunk tasks: a few chunks per worker slot.
func (f *Farm[T, R]) window(chunk int) int { return 4 * f.slots * chunk }

func mapOptions(opts []MapOption) (mapConfig, error) {
	cfg := mapConfig{chunk: 1}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// run is Map's engine: it reads tasks while room(read so far) allows and a
// worker slot is idle, sends them in chunks, and emits each result as it
// comes until emit returns false; fail gets an error that ends the run
// (ctx ended, the farm closed).
func (f *Farm[T, R]) run(ctx context.Context, tasks iter.Seq[T], cfg mapConfig, room func(int) bool,
	emit func(Result[R]) bool, fail func(error)) {
	// Every result of this run lands here: the channel holds as many as
	// can be out at once (no more than the slots' chunks), so the pool
	// actor never waits on it.
	results := make(chan arrival[R], f.slots*cfg.chunk)
	var stopped atomic.Bool
	out := map[int]*outChunk{} // by the index of the chunk's first task
	outTasks := 0
	cancelAll := func() {
		stopped.Store(true)
		for _, c := range out {
			f.cancel(c.p)
		}
	}
	pull, stop := iter.Pull(tasks)
	defer stop()
	read, done := 0, false
	var pending [][]byte // a chunk read and not yet sent
	var base int
	var err error
	for {
		var wait <-chan struct{}
		for wait == nil && (pending != nil || !done) {
			if pending == nil {
				base = read
				for len(pending) < cfg.chunk && room(read) {
					t, ok := pull()
					if !ok {
						done = true
						break
					}
					idx := read
					read++
					enc, err := codec.AppendValue(nil, t)
					if err != nil {
						// This task fails here; the chunk goes on without it.
						f.submitted.Add(1)
						f.failed.Add(1)
						if !emit(Result[R]{Index: idx, Err: fmt.Errorf("farm %q: task %d: %w", f.name, idx, err)}) {
							cancelAll()
							return
						}
						if len(pending) == 0 {
							base = read
						} else {
							// Keep indices consecutive within a chunk:
							// send what was read so far.
							break
						}
						continue
					}
					pending = append(pending, enc)
				}
				if len(pending) == 0 {
					pending = nil
					break
				}
			}
			chunkBase := base
			var p *inFlight
			p, wait, err = f.trySend(ctx, pending, func(rank, i int, payload []byte, status byte) {
				if stopped.Load() {
					return
				}
				v, err := f.result(rank, payload, status)
				f.completed.Add(1)
				results <- arrival[R]{Result[R]{Index: chunkBase + i, Value: v, Err: err}, chunkBase}
			})
			if err != nil {
				cancelAll()
				fail(err)
				return
			}
			if p != nil {
				f.submitted.Add(int64(len(pending)))
				out[chunkBase] = &outChunk{p: p, left: len(pending)}
				outTasks += len(pending)
				pending = nil
			}
		}
		if done && pending == nil && outTasks == 0 {
			return
		}
		select {
		case a := <-results:
			outTasks--
			if c := out[a.base]; c != nil {
				if c.left--; c.left == 0 {
					delete(out, a.base)
				}
			}
			if !emit(a.r) {
				cancelAll()
				return
			}
		case <-wait:
		case <-ctx.Done():
			cancelAll()
			fail(fmt.Errorf("farm %q: %w", f.name, ctx.Err()))
			return
		}
	}
}

// arrival is a result and the chunk it came in.
type arrival[R any] struct {
	r    Result[R]
	base int
}

// outChunk is a chunk of a run that is out, and how many results it owes.
type outChunk struct {
	p    *inFlight
	left int
}
