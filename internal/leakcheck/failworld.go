package leakcheck

import (
	"context"
	"sync/atomic"

	"github.com/rmactor/rmactor/rma"
)

// FailAtBarrier returns w with its n-th Barrier call (from 1) failing with
// err at once, as a rank whose program fails between two collective calls
// does. Every other call goes to w; windows allocated through it are w's.
func FailAtBarrier(w rma.World, n int, err error) rma.World {
	return &failingWorld{World: w, n: int64(n), err: err}
}

type failingWorld struct {
	rma.World
	n     int64
	calls atomic.Int64
	err   error
}

func (f *failingWorld) Barrier(ctx context.Context) error {
	if f.calls.Add(1) == f.n {
		return f.err
	}
	return f.World.Barrier(ctx)
}
