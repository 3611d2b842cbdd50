// Command actor-producer-consumer is the producer-consumer example written
// with actors and claims (see apps/prodcons):
//
//	go run ./examples/actor-producer-consumer -ranks 4 -n 100000
//
// Built with -tags mpi it runs as an MPI job (the job's size replaces
// -ranks):
//
//	go build -tags mpi -o actor-producer-consumer ./examples/actor-producer-consumer
//	mpirun -n 4 ./actor-producer-consumer -n 100000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/rmactor/rmactor/apps/prodcons"
	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/rma"
)

func main() {
	ranks := flag.Int("ranks", 4, "number of in-process ranks, at least 2 (under MPI the job's size)")
	cfg := prodcons.DefaultConfig()
	cfg.Flags(flag.CommandLine)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := launch.Run(ctx, *ranks, func(ctx context.Context, w rma.World) error {
		return prodcons.Run(ctx, w, cfg, os.Stdout)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "actor-producer-consumer:", err)
		os.Exit(1)
	}
}
