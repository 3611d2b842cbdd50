//go:build mpi

package launch

import (
	"context"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/mpi"
)

const backend = "mpi"

func run(ctx context.Context, _ int, fn rma.Program) error {
	w, err := mpi.Init()
	if err != nil {
		return err
	}
	w.Run(ctx, fn) // aborts the job if fn fails on this rank
	return w.Close()
}
