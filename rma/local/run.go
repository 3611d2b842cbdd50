package local

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/rmactor/rmactor/rma"
)

// Option configures Run.
type Option func(*config) error

type config struct{ maxWindowBytes int }

// DefaultMaxWindowBytes is the largest segment a rank may allocate (1 GiB)
// unless WithMaxWindowBytes says otherwise.
const DefaultMaxWindowBytes = 1 << 30

// WithMaxWindowBytes caps the bytes one rank may bring to one window;
// larger allocations fail with rma.ErrWindowTooLarge.
func WithMaxWindowBytes(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: WithMaxWindowBytes(%d)", rma.ErrInvalidArgument, n)
		}
		c.maxWindowBytes = n
		return nil
	}
}

// Run runs fn on n in-process ranks and waits for all of them. It returns
// the first error, as an *rma.RankError naming its rank; a panic in a rank is
// turned into that rank's error. Once a rank fails, the ctx given to the
// other ranks is cancelled and their collective calls return, so a failing
// rank never leaves the others hanging.
func Run(ctx context.Context, n int, fn rma.Program, opts ...Option) error {
	cfg := config{maxWindowBytes: DefaultMaxWindowBytes}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return err
		}
	}
	if n < 1 {
		return fmt.Errorf("%w: %d ranks", rma.ErrInvalidArgument, n)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	failed := make(chan struct{}) // closed when a rank fails
	h := newHub(n, failed)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for rank := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &world{hub: h, rank: rank, maxBytes: cfg.maxWindowBytes}
			if err := runRank(ctx, w, fn); err != nil {
				once.Do(func() {
					first = rma.OnRank(rank, err)
					close(failed)
					cancel(first)
				})
			}
		}()
	}
	wg.Wait()
	h.release()
	return first
}

func runRank(ctx context.Context, w *world, fn rma.Program) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
		if cerr := w.Close(); cerr != nil && !errors.Is(cerr, rma.ErrClosed) && err == nil {
			err = cerr
		}
	}()
	return fn(ctx, w)
}
