package mapreduce_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mapreduce"
)

// A bigram count on 3 in-process ranks: each rank maps its share of the
// lines, pairs are combined, shuffled to the rank that owns each bigram
// and summed there; rank 0 prints the most frequent. With
// mapreduce.Lines(paths...) instead of Slice, the lines of files and
// directories are dealt out to the ranks.
func Example() {
	err := cluster.Run(context.Background(), cluster.Config{Ranks: 3}, func(ctx context.Context, c *cluster.Cluster) error {
		lines := [][]byte{[]byte("the cat sat on the mat"), []byte("on the mat the cat slept"), []byte("the cat")}
		bigrams := func(line []byte, emit func(string, int)) error {
			w := bytes.Fields(bytes.ToLower(line))
			for i := 1; i < len(w); i++ {
				emit(string(w[i-1])+" "+string(w[i]), 1)
			}
			return nil
		}
		res, err := mapreduce.Run(ctx, c, "bigrams", mapreduce.Slice(lines), bigrams, func(a, b int) int { return a + b })
		if err != nil {
			return err
		}
		top, err := res.Top(ctx, 1, func(a, b mapreduce.Pair[string, int]) bool { return a.Value > b.Value })
		if err == nil && c.Rank() == 0 {
			fmt.Println("most frequent bigram:", top[0].Key)
		}
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: most frequent bigram: the cat
}
