package farm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/farm"
	"github.com/rmactor/rmactor/rma"
)

func square(_ context.Context, x int) (int, error) { return x * x, nil }

// job runs fn on ranks in-process ranks with a minute's deadline.
func job(t *testing.T, ranks int, fn func(ctx context.Context, c *cluster.Cluster) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, cluster.Run(ctx, cluster.Config{Ranks: ranks}, fn))
}

func seq(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func TestSubmitFromEveryRank(t *testing.T) {
	job(t, 3, func(ctx context.Context, c *cluster.Cluster) error {
		f, err := farm.New(ctx, c, "squares", square, farm.WithWorkers(2))
		if err != nil {
			return err
		}
		var futures []*farm.Future[int]
		for i := range 200 {
			fu, err := f.Submit(ctx, i)
			if err != nil {
				return err
			}
			futures = append(futures, fu)
		}
		for i, fu := range futures {
			v, err := fu.Wait(ctx)
			if err != nil {
				return err
			}
			if v != i*i {
				return fmt.Errorf("task %d: %d", i, v)
			}
		}
		if st := f.Stats(); st.Submitted != 200 || st.Completed != 200 || st.Failed != 0 || st.InFlight != 0 {
			return fmt.Errorf("stats %+v", st)
		}
		return f.Close(ctx)
	})
}

func TestMapInOrder(t *testing.T) {
	for _, chunk := range []int{1, 7, 1000} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			job(t, 3, func(ctx context.Context, c *cluster.Cluster) error {
				f, err := farm.New(ctx, c, "squares", square, farm.WithWorkers(2))
				if err != nil {
					return err
				}
				if c.Rank() == 0 {
					i := 0
					for v, err := range f.Map(ctx, seq(1000), farm.Chunk(chunk)) {
						if err != nil {
							return err
						}
						if v != i*i {
							return fmt.Errorf("result %d is %d", i, v)
						}
						i++
					}
					if i != 1000 {
						return fmt.Errorf("%d results", i)
					}
				}
				return f.Close(ctx)
			})
		})
	}
}

// A slow task holds up only its own worker: every other task comes back
// while it is still running.
func TestSlowTaskHoldsUpNobody(t *testing.T) {
	gate := make(chan struct{})
	job(t, 2, func(ctx context.Context, c *cluster.Cluster) error {
		f, err := farm.New(ctx, c, "gated", func(ctx context.Context, x int) (int, error) {
			if x == 0 {
				select {
				case <-gate:
				case <-ctx.Done():
					return 0, ctx.Err()
				}
			}
			return x, nil
		}, farm.WithWorkers(2))
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			var got []int
			for r := range f.MapUnordered(ctx, seq(200)) {
				if r.Err != nil {
					return r.Err
				}
				got = append(got, r.Index)
				if len(got) == 199 {
					if slices.Contains(got, 0) {
						return errors.New("the gated task finished first")
					}
					close(gate)
				}
			}
			slices.Sort(got)
			if len(got) != 200 || got[0] != 0 || got[199] != 199 {
				return fmt.Errorf("indices %v", got)
			}
		}
		return f.Close(ctx)
	})
}

func TestTaskFailures(t *testing.T) {
	job(t, 2, func(ctx context.Context, c *cluster.Cluster) error {
		f, err := farm.New(ctx, c, "failing", func(ctx context.Context, x int) (int, error) {
			switch x % 4 {
			case 1:
				return 0, fmt.Errorf("task %d refuses", x)
			case 2:
				panic(fmt.Sprintf("task %d panics", x))
			case 3:
				<-ctx.Done() // runs past its timeout
				return 0, ctx.Err()
			}
			return x, nil
		}, farm.WithTaskTimeout(20*time.Millisecond))
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			i := 0
			for v, err := range f.Map(ctx, seq(40), farm.Chunk(3)) {
				switch i % 4 {
				case 0:
					if err != nil || v != i {
						return fmt.Errorf("task %d: %v, %v", i, v, err)
					}
				case 1:
					if !errors.Is(err, farm.ErrTask) || errors.Is(err, farm.ErrPanic) {
						return fmt.Errorf("task %d: %v", i, err)
					}
					require.ErrorContains(t, err, fmt.Sprintf("task %d refuses", i))
				case 2:
					if !errors.Is(err, farm.ErrPanic) {
						return fmt.Errorf("task %d: %v", i, err)
					}
				case 3:
					if !errors.Is(err, farm.ErrTimeout) {
						return fmt.Errorf("task %d: %v", i, err)
					}
				}
				i++
			}
			var te *farm.TaskError
			if _, err := mustFail(ctx, f, 1); !errors.As(err, &te) || te.Rank < 0 || te.Rank > 1 {
				return fmt.Errorf("a TaskError names its rank: %v", err)
			}
			if st := f.Stats(); st.Failed != 31 || st.Completed != 41 {
				return fmt.Errorf("stats %+v", st)
			}
		}
		return f.Close(ctx)
	})
}

func mustFail(ctx context.Context, f *farm.Farm[int, int], x int) (int, error) {
	fu, err := f.Submit(ctx, x)
	if err != nil {
		return 0, err
	}
	return fu.Wait(ctx)
}

// Cancelling a Map's context cancels what is out, yields the context's
// error last, and leaves the farm usable and closable.
func TestMapCancelled(t *testing.T) {
	started := make(chan struct{})
	var once sync.Once
	job(t, 2, func(ctx context.Context, c *cluster.Cluster) error {
		f, err := farm.New(ctx, c, "blocking", func(ctx context.Context, x int) (int, error) {
			once.Do(func() { close(started) })
			<-ctx.Done()
			return 0, ctx.Err()
		}, farm.WithWorkers(2))
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			mctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-started:
				case <-ctx.Done():
				}
				cancel()
			}()
			var last error
			n := 0
			for _, err := range f.Map(mctx, seq(100)) {
				n++
				last = err
			}
			if !errors.Is(last, context.Canceled) || n != 1 {
				return fmt.Errorf("%d results, the last %v", n, last)
			}
		}
		return f.Close(ctx)
	})
}

func TestMisuse(t *testing.T) {
	job(t, 1, func(ctx context.Context, c *cluster.Cluster) error {
		if _, err := farm.New(ctx, c, "none", square, farm.WithRankZero(false)); !errors.Is(err, rma.ErrInvalidArgument) {
			return fmt.Errorf("no workers anywhere: %v", err)
		}
		if _, err := farm.New(ctx, c, "w", square, farm.WithWorkers(0)); !errors.Is(err, rma.ErrInvalidArgument) {
			return fmt.Errorf("0 workers: %v", err)
		}
		f, err := farm.New(ctx, c, "ok", square)
		if err != nil {
			return err
		}
		for _, err := range f.Map(ctx, seq(3), farm.Chunk(0)) {
			if !errors.Is(err, rma.ErrInvalidArgument) {
				return fmt.Errorf("chunk 0: %v", err)
			}
		}
		if err := f.Close(ctx); err != nil {
			return err
		}
		if _, err := f.Submit(ctx, 1); !errors.Is(err, farm.ErrClosed) {
			return fmt.Errorf("submit after close: %v", err)
		}
		if err := f.Close(ctx); !errors.Is(err, farm.ErrClosed) {
			return fmt.Errorf("close twice: %v", err)
		}
		return nil
	})
}
