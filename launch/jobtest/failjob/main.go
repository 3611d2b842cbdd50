// Command failjob is a test job: every rank streams messages to an actor on
// the next rank; once the failing rank's actor has handled a number of them,
// that rank fails (returns an error, panics, exits, or kills itself with
// SIGKILL) in the middle of the traffic, while the other ranks would go on
// forever. The job must end non-zero within seconds, naming the rank.
//
// Built plainly it runs --ranks in-process ranks; built with -tags mpi and
// started by mpirun, one rank per process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
)

func main() {
	mode := flag.String("mode", "error", "how the failing rank fails: error, panic, exit or kill")
	failing := flag.Int("rank", 1, "the failing rank")
	ranks := flag.Int("ranks", 2, "in-process ranks (under MPI the job's size)")
	after := flag.Int64("after", 2000, "messages the failing rank handles before it fails")
	payload := flag.Int("payload", 0, "bytes per message: 0 sends small Int64s; more sends byte strings of that size (larger than a slot: the rendezvous path)")
	flag.Parse()

	// reached[k] is closed once rank k's sink has handled -after messages.
	var reached sync.Map
	signal := func(k int) chan struct{} {
		ch, _ := reached.LoadOrStore(k, make(chan struct{}))
		return ch.(chan struct{})
	}
	sink := cluster.NewKind("sink", actor.PropsFromProducer(func() actor.Actor {
		var n int64
		return actor.ReceiveFunc(func(c actor.Context) {
			switch m := c.Message().(type) {
			case *wrapperspb.Int64Value:
			case *wrapperspb.BytesValue:
				// A large message is whole or not delivered: never
				// garbage, even when its sender fails mid-way.
				if err := checkPayload(m.Value, *payload); err != nil {
					fmt.Fprintln(os.Stderr, "failjob: GARBAGE:", err)
					os.Exit(4)
				}
			default:
				return
			}
			if n++; n == *after {
				if k, err := actor.RankOfPID(c.Self()); err == nil {
					close(signal(k))
				}
			}
		})
	}))

	cfg := cluster.Config{Ranks: *ranks, Kinds: []cluster.Kind{sink}}
	err := cluster.Run(context.Background(), cfg, func(ctx context.Context, c *cluster.Cluster) error {
		next, err := c.SpawnOn(ctx, (c.Rank()+1)%c.Size(), "sink")
		if err != nil {
			return err
		}
		ctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer stop()
		wg.Go(func() {
			for i := int64(0); ctx.Err() == nil; i++ {
				var msg any = wrapperspb.Int64(i)
				if *payload > 0 {
					msg = wrapperspb.Bytes(makePayload(i, *payload))
				}
				if err := c.System().Send(ctx, next, msg); err != nil {
					return
				}
			}
		})
		if c.Rank() != *failing {
			<-ctx.Done() // the traffic never ends by itself
			return ctx.Err()
		}
		select {
		case <-signal(c.Rank()):
		case <-ctx.Done():
			return ctx.Err()
		}
		// The test measures how long the job takes to end from here.
		fmt.Fprintf(os.Stderr, "failjob: rank %d fails (%s) at %d\n", c.Rank(), *mode, time.Now().UnixNano())
		switch *mode {
		case "panic":
			panic("failjob: deliberate panic")
		case "exit":
			os.Exit(3)
		case "kill":
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return errors.New("failjob: deliberate error")
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// makePayload is message i of n bytes: its first byte is i's low byte,
// and every byte the one before plus one.
func makePayload(i int64, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i) + byte(j)
	}
	return b
}

// checkPayload checks a message made by makePayload.
func checkPayload(b []byte, n int) error {
	if len(b) != n {
		return fmt.Errorf("%d bytes, want %d", len(b), n)
	}
	for j := 1; j < len(b); j++ {
		if b[j] != b[j-1]+1 {
			return fmt.Errorf("byte %d of %d is %#x after %#x", j, n, b[j], b[j-1])
		}
	}
	return nil
}
