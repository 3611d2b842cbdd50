//go:build !mpi

package launch

import (
	"context"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

const backend = "local"

func run(ctx context.Context, ranks int, fn rma.Program) error {
	return local.Run(ctx, ranks, fn)
}
