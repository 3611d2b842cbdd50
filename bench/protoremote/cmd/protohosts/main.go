// Command protohosts measures protoactor-go's remote (gRPC) between two
// processes, for the across-host reference of docs/benchmarks.md: the same
// one-way rate and RequestFuture round trip as examples/pingpong, with
// wrapperspb.Int64Value messages.
//
// Start the server on one host, then the client on another:
//
//	protohosts -listen h2:9400
//	protohosts -listen h1:9401 -server h2:9400 -n 200000 -requests 5000
//
// The client warms the connections up, sends n messages one way to the
// server's counter (which tells the client when the last has arrived),
// makes the requests one after another to the server's echo, prints the
// figures, and stops the server.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const timeout = 30 * time.Second

func main() {
	listen := flag.String("listen", "", "host:port this system listens on")
	server := flag.String("server", "", "the server's host:port (client only)")
	n := flag.Int("n", 200000, "one-way messages")
	requests := flag.Int("requests", 5000, "request round trips")
	flag.Parse()
	if err := run(*listen, *server, *n, *requests); err != nil {
		fmt.Fprintln(os.Stderr, "protohosts:", err)
		os.Exit(1)
	}
}

func start(listen string) (*actor.ActorSystem, *remote.Remote, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, nil, err
	}
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}))
	r := remote.NewRemote(as, remote.Configure(host, p))
	r.Start()
	return as, r, nil
}

// counter counts one-way messages. A message with a sender starts a count
// (its value is the target; the sender is told when it is reached), or,
// with value -1, stops the server.
type counter struct {
	target, n int64
	notify    *actor.PID
	stop      chan struct{}
}

func (c *counter) Receive(ctx actor.Context) {
	m, ok := ctx.Message().(*wrapperspb.Int64Value)
	if !ok {
		return
	}
	if ctx.Sender() != nil {
		switch {
		case m.Value == -1:
			ctx.Respond(m)
			close(c.stop)
		default:
			c.target, c.n, c.notify = m.Value, 0, ctx.Sender()
		}
		return
	}
	if c.n++; c.n == c.target {
		ctx.Send(c.notify, wrapperspb.Int64(c.n))
	}
}

type echo struct{}

func (echo) Receive(ctx actor.Context) {
	if m, ok := ctx.Message().(*wrapperspb.Int64Value); ok {
		ctx.Respond(m)
	}
}

func run(listen, server string, n, requests int) error {
	as, r, err := start(listen)
	if err != nil {
		return err
	}
	defer r.Shutdown(false)
	if server == "" {
		stop := make(chan struct{})
		if _, err := as.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &counter{stop: stop} }), "counter"); err != nil {
			return err
		}
		if _, err := as.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return echo{} }), "echo"); err != nil {
			return err
		}
		<-stop
		time.Sleep(100 * time.Millisecond) // let the stop reply leave
		return nil
	}
	counterPID := actor.NewPID(server, "counter")
	echoPID := actor.NewPID(server, "echo")
	// Warm up: the server may still be starting.
	deadline := time.Now().Add(timeout)
	for {
		_, err := as.Root.RequestFuture(echoPID, wrapperspb.Int64(0), time.Second).Result()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server %s not answering: %w", server, err)
		}
	}
	done := make(chan struct{})
	waiter := as.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(*wrapperspb.Int64Value); ok {
			close(done)
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The count starts before the messages arrive: one connection keeps
	// one sender's order.
	as.Root.RequestWithCustomSender(counterPID, wrapperspb.Int64(int64(n)), waiter)
	start := time.Now()
	for i := range n {
		as.Root.Send(counterPID, wrapperspb.Int64(int64(i)))
	}
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("the one-way messages did not all arrive: %w", ctx.Err())
	}
	oneWay := float64(n) / time.Since(start).Seconds()
	lat := make([]time.Duration, requests)
	for i := range requests {
		t := time.Now()
		if _, err := as.Root.RequestFuture(echoPID, wrapperspb.Int64(int64(i)), timeout).Result(); err != nil {
			return err
		}
		lat[i] = time.Since(t)
	}
	slices.Sort(lat)
	fmt.Printf("protoactor remote: one-way %d messages, %.0f msg/s; round trip %d requests, p50 %.1f µs, p99 %.1f µs\n",
		n, oneWay, requests, micros(lat[len(lat)/2]), micros(lat[len(lat)*99/100]))
	_, _ = as.Root.RequestFuture(counterPID, wrapperspb.Int64(-1), timeout).Result()
	return nil
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
