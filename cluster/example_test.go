package cluster_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
)

// Example is a whole job on two in-process ranks: rank 0 spawns a greeter
// on rank 1 and requests it (a plain string, a 1 MiB one, and a reply the
// greeter cannot send back), then every rank adds to a reduction. Run
// returns once every rank's function has returned and no message is in
// flight, with the systems closed.
func Example() {
	greeter := actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case string:
			c.Respond(fmt.Sprintf("hello, %d bytes", len(m)))
		case int: // answers with an unregistered type: it cannot cross ranks
			c.Respond(struct{ N int }{m})
		}
	})
	cfg := cluster.Config{Ranks: 2, Kinds: []cluster.Kind{cluster.NewKind("greeter", greeter)}}
	err := cluster.Run(context.Background(), cfg, func(ctx context.Context, c *cluster.Cluster) error {
		if c.Rank() == 0 {
			pid, err := c.SpawnOn(ctx, 1, "greeter")
			if err != nil {
				return err
			}
			for _, msg := range []string{"rank 0", strings.Repeat("x", 1<<20)} {
				reply, err := c.System().Request(ctx, pid, msg)
				if err != nil {
					return err
				}
				fmt.Println(reply)
			}
			_, err = c.System().Request(ctx, pid, 7)
			fmt.Println(err)
		}
		sum, err := cluster.Reduce(ctx, c, c.Rank()+1, func(a, b int) int { return a + b })
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			fmt.Println("sum of ranks+1:", sum)
		}
		return nil
	})
	fmt.Println("job:", err)
	// Output:
	// hello, 6 bytes
	// hello, 1048576 bytes
	// actor: request to rank:1/@0.0: actor: undeliverable (rank 1): the reply: codec: unknown type: struct { N int } is neither a proto.Message nor a built-in or registered type
	// sum of ranks+1: 3
	// job: <nil>
}
