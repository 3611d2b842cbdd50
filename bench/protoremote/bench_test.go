package protoremote

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	// oneWayTimeout bounds the wait for all b.N one-way messages to arrive.
	oneWayTimeout = 60 * time.Second
	// requestTimeout bounds every single request (warm-up or measured).
	requestTimeout = 10 * time.Second
	// warmUpRequests are made, untimed, before each measurement.
	warmUpRequests = 100
	// slowShutdown is how long a remote may take to shut down before the
	// benchmark logs it (protoactor falls back to a hard stop after 10 s).
	slowShutdown = 2 * time.Second
)

// localSystem starts one ActorSystem without remote and returns its root
// context, used as both sending and receiving side.
func localSystem(b *testing.B) *actor.RootContext {
	b.Helper()
	sys := newSystem()
	b.Cleanup(sys.Shutdown)
	return sys.Root
}

// remoteSystems starts two ActorSystems, A and B, each with protoactor's gRPC
// remote on 127.0.0.1, and returns their root contexts. Both are shut down
// (remote first, gracefully) when the benchmark run ends.
func remoteSystems(b *testing.B) (a, bRoot *actor.RootContext) {
	b.Helper()
	sysA, sysB := newSystem(), newSystem()
	remA, remB := startRemote(sysA), startRemote(sysB)
	b.Cleanup(func() {
		// Mute both loggers first: shutting down A also makes B's
		// connection to A fail.
		sysA.mute()
		sysB.mute()
		shutdownRemote(b, "A", remA)
		shutdownRemote(b, "B", remB)
		sysA.Shutdown()
		sysB.Shutdown()
	})
	return sysA.Root, sysB.Root
}

func shutdownRemote(b *testing.B, name string, r *remote.Remote) {
	start := time.Now()
	r.Shutdown(true)
	if d := time.Since(start); d > slowShutdown {
		b.Logf("remote of system %s took %v to shut down", name, d)
	}
}

// spawn starts the actor on root's system and stops it (waiting for it) when
// the benchmark run ends, before its system is shut down.
func spawn(b *testing.B, root *actor.RootContext, a actor.Actor) *actor.PID {
	b.Helper()
	pid := root.Spawn(actor.PropsFromProducer(func() actor.Actor { return a }))
	b.Cleanup(func() {
		if err := root.StopFuture(pid).Wait(); err != nil {
			b.Logf("stopping %v: %v", pid, err)
		}
	})
	return pid
}

// benchOneWay sends b.N Int64Value messages from sender's root context to a
// counting actor spawned by receiver and reports the rate at which they
// arrive. The clock runs from the first send until the last message has been
// received.
func benchOneWay(b *testing.B, sender, receiver *actor.RootContext) {
	c := newCounter(b.N)
	pid := spawn(b, receiver, c)
	if err := warmUp(sender, pid, warmUpRequests, requestTimeout); err != nil {
		b.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), oneWayTimeout)
	defer cancel()

	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		sender.Send(pid, wrapperspb.Int64(int64(i)))
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		b.Fatalf("only %d of %d messages arrived within %v", c.n.Load(), b.N, oneWayTimeout)
	}
	elapsed := time.Since(start)
	b.StopTimer()

	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// benchRoundTrip makes b.N sequential RequestFuture calls from sender's root
// context to an echo actor spawned by receiver, timing each one, and reports
// the p50 and p99 round-trip latency in microseconds.
func benchRoundTrip(b *testing.B, sender, receiver *actor.RootContext) {
	pid := spawn(b, receiver, echo{})
	if err := warmUp(sender, pid, warmUpRequests, requestTimeout); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, b.N)

	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		res, err := sender.RequestFuture(pid, wrapperspb.Int64(int64(i)), requestTimeout).Result()
		lat[i] = time.Since(start)
		if err != nil {
			b.Fatalf("request %d of %d: %v", i, b.N, err)
		}
		if got, ok := res.(*wrapperspb.Int64Value); !ok || got.GetValue() != int64(i) {
			b.Fatalf("request %d of %d: unexpected reply %T %v", i, b.N, res, res)
		}
	}
	b.StopTimer()

	p50, p99 := latencyPercentiles(lat)
	b.ReportMetric(micros(p50), "p50-µs")
	b.ReportMetric(micros(p99), "p99-µs")
}

// BenchmarkRemoteOneWay: system A sends to an actor on system B over
// protoactor's gRPC remote on loopback.
func BenchmarkRemoteOneWay(b *testing.B) {
	a, bRoot := remoteSystems(b)
	benchOneWay(b, a, bRoot)
}

// BenchmarkRemoteRequestRoundTrip: request/reply from A's root context to an
// echo actor on B over protoactor's gRPC remote on loopback.
func BenchmarkRemoteRequestRoundTrip(b *testing.B) {
	a, bRoot := remoteSystems(b)
	benchRoundTrip(b, a, bRoot)
}

// BenchmarkLocalOneWay: the one-way benchmark within one ActorSystem, no remote.
func BenchmarkLocalOneWay(b *testing.B) {
	root := localSystem(b)
	benchOneWay(b, root, root)
}

// BenchmarkLocalRequestRoundTrip: the round-trip benchmark within one
// ActorSystem, no remote.
func BenchmarkLocalRequestRoundTrip(b *testing.B) {
	root := localSystem(b)
	benchRoundTrip(b, root, root)
}
