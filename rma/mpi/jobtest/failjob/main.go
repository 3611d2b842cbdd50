//go:build mpi

// Command failjob is a test job: one rank fails (returns an error, panics or
// exits) while every other rank waits in a barrier that would never end on
// its own. The job must end non-zero within seconds, naming the rank.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/rma"
)

func main() {
	mode := flag.String("mode", "error", "how the failing rank fails: error, panic or exit")
	failing := flag.Int("rank", 1, "the failing rank")
	flag.Parse()
	err := launch.Run(context.Background(), 2, func(ctx context.Context, w rma.World) error {
		if w.Rank() != *failing {
			return w.Barrier(ctx) // never completes: the failing rank does not come
		}
		switch *mode {
		case "panic":
			panic("failjob: deliberate panic")
		case "exit":
			os.Exit(3)
		}
		return errors.New("failjob: deliberate error")
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
