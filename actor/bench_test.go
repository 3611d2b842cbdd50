package actor_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	pa "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// benchOneWay sends b.N messages from rank 0 to a counter on rank 1 that
// stops through claims; rank 0 waits for its termination.
func benchOneWay(b *testing.B, opts ...actor.Option) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w, opts...)
		if err != nil {
			return err
		}
		pids := make(chan *actor.PID, 1)
		if w.Rank() == 0 {
			if _, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
				if m, ok := c.Message().(*actor.PID); ok {
					pids <- m
				}
			}), "collector"); err != nil {
				return err
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 1 {
			pid, err := sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}, actor.WithClaims(b.N)))
			if err != nil {
				return err
			}
			if err := sys.Send(ctx, actor.PIDOn(0, "collector"), pid); err != nil {
				return err
			}
		} else {
			pid := <-pids
			msg := wrapperspb.Int64(7)
			b.ResetTimer()
			for range b.N {
				if err := sys.Send(ctx, pid, msg); err != nil {
					return err
				}
			}
			if err := sys.Wait(ctx, pid); err != nil {
				return err
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return sys.Close(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkCrossRankOneWayAggregated(b *testing.B) { benchOneWay(b, actor.WithMailboxCapacity(64)) }
func BenchmarkCrossRankOneWayUnbatched(b *testing.B) {
	benchOneWay(b, actor.WithMailboxCapacity(64), actor.WithAggregation(false))
}

// BenchmarkSameRank: one sender to one actor on the same rank.
func BenchmarkSameRank(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := local.Run(ctx, 1, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w)
		if err != nil {
			return err
		}
		pid, err := sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}, actor.WithClaims(b.N)))
		if err != nil {
			return err
		}
		msg := wrapperspb.Int64(7)
		root := sys.Root()
		b.ResetTimer()
		for range b.N {
			root.Send(pid, msg)
		}
		if err := sys.Wait(ctx, pid); err != nil {
			return err
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		return sys.Close(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkProtoactorSameRank is the reference: plain protoactor-go, same
// message, same shape (sender outside actors, one receiving actor).
func BenchmarkProtoactorSameRank(b *testing.B) {
	as := pa.NewActorSystem(pa.WithLoggerFactory(quietLogger))
	defer as.Shutdown()
	done := make(chan struct{})
	n := 0
	pid := as.Root.Spawn(pa.PropsFromFunc(func(c pa.Context) {
		if _, ok := c.Message().(*wrapperspb.Int64Value); ok {
			if n++; n == b.N {
				close(done)
			}
		}
	}))
	msg := wrapperspb.Int64(7)
	b.ResetTimer()
	for range b.N {
		as.Root.Send(pid, msg)
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatal("timeout")
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkIdleActorMemory spawns b.N idle actors on one rank and reports
// the Go heap and window bytes each costs.
func BenchmarkIdleActorMemory(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := local.Run(ctx, 1, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w, actor.WithArenaBytes(1<<30))
		if err != nil {
			return err
		}
		props := actor.PropsFromFunc(func(actor.Context) {})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.ResetTimer()
		for range b.N {
			if _, err := sys.Spawn(props); err != nil {
				return err
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		st := sys.Stats()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heap-B/actor")
		b.ReportMetric(float64(st.WindowBytesPerMailbox), "window-B/actor")
		return sys.Close(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
}
