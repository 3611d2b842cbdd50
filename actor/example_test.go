package actor_test

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// Two ranks: rank 1 hosts a named "greeter" and a counter that ends itself
// after three messages; rank 0 asks the greeter for the counter's PID, sends
// it three messages and waits until it has stopped.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w) // collective: one system per rank
		if err != nil {
			return err
		}
		if w.Rank() == 1 {
			counter, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
				if m, ok := c.Message().(*wrapperspb.StringValue); ok {
					fmt.Println("counter got", m.Value)
				}
			}, actor.WithClaims(3))) // stops by itself after 3 messages
			if err != nil {
				return err
			}
			_, err = sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
				if _, ok := c.Message().(*wrapperspb.StringValue); ok {
					c.Respond(counter) // PIDs cross ranks like any message
				}
			}), "greeter")
			if err != nil {
				return err
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 0 {
			reply, err := sys.Request(ctx, actor.PIDOn(1, "greeter"), wrapperspb.String("hello"))
			if err != nil {
				return err
			}
			counter := reply.(*actor.PID)
			for _, word := range []string{"one", "two", "three"} {
				if err := sys.Send(ctx, counter, wrapperspb.String(word)); err != nil {
					return err
				}
			}
			if err := sys.Wait(ctx, counter); err != nil { // Terminated arrives
				return err
			}
			fmt.Println("counter stopped")
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return sys.Close(ctx) // collective
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// counter got one
	// counter got two
	// counter got three
	// counter stopped
}
