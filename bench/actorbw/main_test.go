package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

func TestActorBW(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sizes, err := parseSizes("int64,300,1K,64K")
	require.NoError(t, err)
	require.Equal(t, []int{0, 300, 1024, 64 << 10}, sizes)
	cfg := config{sizes: sizes, modes: []string{"oneway", "reqreply"}, budget: 10 * time.Millisecond,
		window: 8, windowBytes: 64 << 10, label: "test", chunk: 16 << 10}
	var out bytes.Buffer
	err = local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		var o bytes.Buffer
		err := run(ctx, w, cfg, &o)
		if w.Rank() == 0 {
			out = o
		}
		return err
	})
	require.NoError(t, err)
	s := out.String()
	require.Contains(t, s, "test layout backend=local path=in-process slot=2048 chunk=16384")
	require.Contains(t, s, "test oneway size=int64 window=8 ")
	require.Contains(t, s, "path=inline")
	require.Contains(t, s, "test oneway size=65536 window=1 ")
	require.Contains(t, s, "test reqreply size=1024 ")
	require.Contains(t, s, "path=rendezvous")
	require.Equal(t, 9, strings.Count(s, "\n"), s)
}

func TestParseSizes(t *testing.T) {
	for _, bad := range []string{"", "0", "-1", "1G", "2048M", "x"} {
		_, err := parseSizes(bad)
		require.Error(t, err, bad)
	}
}
