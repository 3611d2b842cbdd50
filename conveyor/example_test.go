package conveyor_test

import (
	"context"
	"fmt"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/conveyor"
)

// A histogram spread over two ranks: each rank sends 1000 increments, one
// 8-byte value each, to the ranks that own the entries; Done returns once
// every increment anywhere has been handled.
func Example() {
	err := cluster.Run(context.Background(), cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		counts := make([]int, 5) // this rank's entries: 2i+rank
		table, err := conveyor.New(ctx, c, "histogram", func(_ context.Context, from int, entry uint32) error {
			counts[entry/2]++ // one value at a time, on this rank
			return nil
		})
		if err != nil {
			return err
		}
		defer table.Close(ctx)
		for i := range 1000 {
			entry := uint32(i*7+c.Rank()) % 10
			if err := table.Send(ctx, int(entry%2), entry); err != nil {
				return err
			}
		}
		if err := table.Done(ctx); err != nil {
			return err
		}
		all, err := cluster.Gather(ctx, c, counts)
		if c.Rank() == 0 && err == nil {
			fmt.Println("rank 0's entries:", all[0], "rank 1's:", all[1])
		}
		return err
	})
	fmt.Println(err)
	// Output:
	// rank 0's entries: [200 200 200 200 200] rank 1's: [200 200 200 200 200]
	// <nil>
}
