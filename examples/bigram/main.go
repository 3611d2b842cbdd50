// Command bigram prints the ten most frequent word pairs of files and
// directories, counted on 4 in-process ranks: go run ./examples/bigram <dir>
package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mapreduce"
	"log"
	"os"
)

func bigrams(line []byte, emit func(string, int)) error {
	w := bytes.Fields(bytes.ToLower(line))
	for i := 1; i < len(w); i++ {
		emit(string(w[i-1])+" "+string(w[i]), 1)
	}
	return nil
}

func main() {
	err := cluster.Run(context.Background(), cluster.Config{Ranks: 4}, func(ctx context.Context, c *cluster.Cluster) error {
		res, err := mapreduce.Run(ctx, c, "bigrams", mapreduce.Lines(os.Args[1:]...), bigrams, func(a, b int) int { return a + b })
		if err != nil {
			return err
		}
		defer res.Close() // removes spill files, if any
		top, err := res.Top(ctx, 10, func(a, b mapreduce.Pair[string, int]) bool { return a.Value > b.Value })
		for _, p := range top { // only rank 0 gets the top
			fmt.Printf("%7d %s\n", p.Value, p.Key)
		}
		return err
	})
	if err != nil {
		log.Fatalf("bigram: %v", err)
	}
}
