package protoremote

import (
	"flag"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The bandwidth benchmarks use the method of bench/actorbw and of the C
// reference bench/mpibw/mpi_bw.c (scripts/bench-bandwidth runs all three).
var (
	bwSizes       = flag.String("bw.sizes", "1K,64K,1M,16M", "payload sizes of BenchmarkRemoteBandwidth (suffixes K and M are powers of 2)")
	bwWindow      = flag.Int("bw.window", 64, "messages per one-way window")
	bwWindowBytes = flag.Int("bw.window-bytes", 64<<20, "largest one-way window in payload bytes")
)

// maxGRPCMessage lifts gRPC's limits (4 MiB received by default): the
// endpoint writer batches up to 1000 messages into one gRPC message.
const maxGRPCMessage = math.MaxInt32

// largeMessageRemote starts protoactor's gRPC remote like startRemote, with
// gRPC's message size limits lifted on both the server and the client side.
func largeMessageRemote(s *system) *remote.Remote {
	cfg := remote.Configure(loopbackHost, 0,
		remote.WithServerOptions(grpc.MaxRecvMsgSize(maxGRPCMessage), grpc.MaxSendMsgSize(maxGRPCMessage)),
		remote.WithDialOptions(
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxGRPCMessage), grpc.MaxCallSendMsgSize(maxGRPCMessage)),
		))
	r := remote.NewRemote(s.ActorSystem, cfg)
	r.Start()
	return r
}

// sink counts BytesValue messages and answers a request with the count.
type sink struct{ n int64 }

func (s *sink) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*wrapperspb.BytesValue); !ok {
		return
	}
	s.n++
	if ctx.Sender() != nil {
		ctx.Respond(wrapperspb.Int64(s.n))
	}
}

// echoBytes answers a BytesValue request (or an Int64Value, which warmUp
// sends) with the message itself.
type echoBytes struct{}

func (echoBytes) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wrapperspb.BytesValue, *wrapperspb.Int64Value:
		ctx.Respond(m)
	}
}

func parseBWSizes(b *testing.B) []int {
	var out []int
	for _, f := range strings.Split(*bwSizes, ",") {
		mul := 1
		switch {
		case strings.HasSuffix(f, "K"):
			mul, f = 1<<10, strings.TrimSuffix(f, "K")
		case strings.HasSuffix(f, "M"):
			mul, f = 1<<20, strings.TrimSuffix(f, "M")
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			b.Fatalf("bad -bw.sizes entry %q", f)
		}
		out = append(out, n*mul)
	}
	return out
}

// BenchmarkRemoteBandwidth: BytesValue messages of each -bw.sizes from
// system A's root context to actors on system B over protoactor's gRPC
// remote on loopback, both systems in this process.
//
//   - oneway/size=N: one iteration is a window of messages to a sink
//     actor, all but the last with Send and the last with RequestFuture,
//     whose answer ends the window (the remote keeps one sender's messages
//     in order). Reports payload MB/s (10^6 bytes) and msg/s.
//   - reqreply/size=N: one iteration is a RequestFuture to an echo actor
//     that answers with the message. Reports MB/s of payload both ways,
//     the mean round trip and its p50 and p99.
//
// The window is -bw.window messages, fewer when they would be more than
// -bw.window-bytes (4 of 16 MiB).
func BenchmarkRemoteBandwidth(b *testing.B) {
	sysA, sysB := newSystem(), newSystem()
	remA, remB := largeMessageRemote(sysA), largeMessageRemote(sysB)
	b.Cleanup(func() {
		sysA.mute()
		sysB.mute()
		shutdownRemote(b, "A", remA)
		shutdownRemote(b, "B", remB)
		sysA.Shutdown()
		sysB.Shutdown()
	})
	a, bRoot := sysA.Root, sysB.Root
	sinkPID := spawn(b, bRoot, &sink{})
	echoPID := spawn(b, bRoot, echoBytes{})
	if err := warmUp(a, echoPID, warmUpRequests, requestTimeout); err != nil {
		b.Fatal(err)
	}
	for _, size := range parseBWSizes(b) {
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = byte(i)
		}
		msg := wrapperspb.Bytes(payload)
		win := max(1, min(*bwWindow, *bwWindowBytes/size))
		b.Run(fmt.Sprintf("oneway/size=%d", size), func(b *testing.B) {
			window := func() {
				for range win - 1 {
					a.Send(sinkPID, msg)
				}
				if _, err := a.RequestFuture(sinkPID, msg, time.Minute).Result(); err != nil {
					b.Fatalf("window of %d × %d bytes: %v", win, size, err)
				}
			}
			window() // warm-up, untimed
			b.ResetTimer()
			for b.Loop() {
				window()
			}
			s := b.Elapsed().Seconds()
			msgs := float64(b.N * win)
			b.ReportMetric(msgs*float64(size)/s/1e6, "MB/s")
			b.ReportMetric(msgs/s, "msg/s")
			b.ReportMetric(float64(win), "window")
		})
		b.Run(fmt.Sprintf("reqreply/size=%d", size), func(b *testing.B) {
			request := func() {
				v, err := a.RequestFuture(echoPID, msg, time.Minute).Result()
				if err != nil {
					b.Fatalf("request of %d bytes: %v", size, err)
				}
				if r, ok := v.(*wrapperspb.BytesValue); !ok || len(r.Value) != size {
					b.Fatalf("request of %d bytes: unexpected reply %T", size, v)
				}
			}
			request() // warm-up, untimed
			var lat []time.Duration
			b.ResetTimer()
			for b.Loop() {
				t := time.Now()
				request()
				lat = append(lat, time.Since(t))
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(2*float64(b.N)*float64(size)/s/1e6, "MB/s")
			b.ReportMetric(s/float64(b.N)*1e6, "rtt-µs")
			slices.Sort(lat)
			b.ReportMetric(micros(lat[len(lat)/2]), "p50-µs")
			b.ReportMetric(micros(lat[len(lat)*99/100]), "p99-µs")
		})
	}
}
