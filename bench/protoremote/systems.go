package protoremote

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// loopbackHost is the only interface the remote listeners bind to.
const loopbackHost = "127.0.0.1"

// quietHandler lets only warnings and errors through to stderr, and nothing
// at all once muted. Protoactor logs the connections it closes itself during
// remote.Shutdown as errors ("EndpointWriter lost connection"); the
// benchmarks mute the logger just before shutting down so that this expected
// noise does not get mixed into the benchmark output, while anything logged
// during the measurement still shows.
type quietHandler struct {
	inner slog.Handler
	muted *atomic.Bool
}

func (h quietHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return !h.muted.Load() && h.inner.Enabled(ctx, level)
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.muted.Load() {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{inner: h.inner.WithAttrs(attrs), muted: h.muted}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{inner: h.inner.WithGroup(name), muted: h.muted}
}

// system is an ActorSystem whose protoactor logging can be muted.
type system struct {
	*actor.ActorSystem
	muted atomic.Bool
}

// mute silences the system's logger from now on.
func (s *system) mute() { s.muted.Store(true) }

// newSystem starts an ActorSystem whose logger (Config.LoggerFactory) is a
// quietHandler instead of protoactor's default (coloured, Info level, on
// stderr), and with no metrics provider: protoactor's Prometheus provider
// would listen on every interface.
func newSystem() *system {
	s := &system{}
	s.ActorSystem = actor.NewActorSystem(actor.WithLoggerFactory(func(as *actor.ActorSystem) *slog.Logger {
		inner := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})
		return slog.New(quietHandler{inner: inner, muted: &s.muted}).
			With("lib", "Proto.Actor", "system", as.ID)
	}))
	return s
}

// startRemote starts protoactor's gRPC remote for system on 127.0.0.1 with a
// port chosen by the kernel. The system's address becomes 127.0.0.1:<port>.
func startRemote(s *system) *remote.Remote {
	r := remote.NewRemote(s.ActorSystem, remote.Configure(loopbackHost, 0))
	r.Start()
	return r
}

// counter counts the Int64Value messages it is sent (without a sender) and
// closes done when target of them have arrived. A request (a message with a
// sender, e.g. from a future) is echoed back and not counted: that is how the
// benchmarks warm up the connection and check that the actor is up.
type counter struct {
	target int64
	n      atomic.Int64
	done   chan struct{}
}

func newCounter(target int) *counter {
	return &counter{target: int64(target), done: make(chan struct{})}
}

func (c *counter) Receive(ctx actor.Context) {
	msg, ok := ctx.Message().(*wrapperspb.Int64Value)
	if !ok {
		return
	}
	if ctx.Sender() != nil {
		ctx.Respond(msg)
		return
	}
	if c.n.Add(1) == c.target {
		close(c.done)
	}
}

// echo answers every Int64Value request with the message itself.
type echo struct{}

func (echo) Receive(ctx actor.Context) {
	if msg, ok := ctx.Message().(*wrapperspb.Int64Value); ok {
		ctx.Respond(msg)
	}
}

// warmUp makes n sequential requests with a future from root to pid and checks
// each answer. For a remote pid the first one waits until the gRPC streams in
// both directions (request and reply) are connected.
func warmUp(root *actor.RootContext, pid *actor.PID, n int, timeout time.Duration) error {
	for i := range n {
		v := int64(-1 - i)
		res, err := root.RequestFuture(pid, wrapperspb.Int64(v), timeout).Result()
		if err != nil {
			return fmt.Errorf("warm-up request %d to %v: %w", i, pid, err)
		}
		if got, ok := res.(*wrapperspb.Int64Value); !ok || got.GetValue() != v {
			return fmt.Errorf("warm-up request %d to %v: unexpected reply %T %v", i, pid, res, res)
		}
	}
	return nil
}

// percentile returns the p-th percentile (0 < p <= 1) of sorted, by the
// nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(float64(len(sorted)) * p))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// micros converts d to microseconds as a float.
func micros(d time.Duration) float64 {
	return float64(d) / float64(time.Microsecond)
}

// latencyPercentiles sorts lat in place and returns its p50 and p99.
func latencyPercentiles(lat []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(lat)
	return percentile(lat, 0.50), percentile(lat, 0.99)
}
