package cluster_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/rmactor/rmactor/cluster/clustertest"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

var soakFor = flag.Duration("soak", 0, "run the soak test at least this long (by default, 30 rounds)")

// TestSoak runs random actors, claims and message trees on 4 in-process
// ranks, checking every round, and memory at the end:
//
//	go test -run TestSoak -soak 5m -v ./cluster/
func TestSoak(t *testing.T) {
	clustertest.SoakTest(t, func(ctx context.Context, ranks int, fn rma.Program) error {
		return local.Run(ctx, ranks, fn)
	}, 4, clustertest.SoakConfig{
		Rounds: 30, Warmup: 10, For: *soakFor, Seed: uint64(time.Now().UnixNano()), HeapSlack: 8 << 20,
	})
}
