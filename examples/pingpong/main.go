// Command pingpong measures actor messaging between rank 0 and rank 1 (see
// apps/pingpong):
//
//	go run ./examples/pingpong -n 100000
//
// Built with -tags mpi it runs as an MPI job of at least 2 ranks (ranks
// beyond 1 idle):
//
//	go build -tags mpi -o pingpong ./examples/pingpong
//	mpirun -n 2 ./pingpong -n 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/rmactor/rmactor/apps/pingpong"
	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/rma"
)

func main() {
	ranks := flag.Int("ranks", 2, "number of in-process ranks, at least 2 (under MPI the job's size)")
	cfg := pingpong.DefaultConfig()
	cfg.Flags(flag.CommandLine)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := launch.Run(ctx, *ranks, func(ctx context.Context, w rma.World) error {
		return pingpong.Run(ctx, w, cfg, os.Stdout)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pingpong:", err)
		os.Exit(1)
	}
}
