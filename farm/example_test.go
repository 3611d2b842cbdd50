package farm_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/farm"
)

// A task farm on 3 in-process ranks: rank 0 maps a function over its
// inputs; the tasks run on every rank.
func Example() {
	err := cluster.Run(context.Background(), cluster.Config{Ranks: 3}, func(ctx context.Context, c *cluster.Cluster) error {
		f, err := farm.New(ctx, c, "square", func(_ context.Context, x int) (int, error) { return x * x, nil })
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			sum := 0
			for v, err := range f.Map(ctx, slices.Values([]int{1, 2, 3, 4}), farm.Chunk(2)) {
				if err != nil {
					return err
				}
				sum += v
			}
			fmt.Println("sum of squares:", sum)
		}
		return f.Close(ctx)
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: sum of squares: 30
}
