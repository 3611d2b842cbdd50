package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

func TestProducerConsumer(t *testing.T) {
	for _, ranks := range []int{2, 4, 9} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var out bytes.Buffer
		cfg := Config{Records: 5000, Buffer: 8}
		err := local.Run(ctx, ranks, func(ctx context.Context, w rma.World) error {
			var o bytes.Buffer
			err := Run(ctx, w, cfg, &o)
			if w.Rank() == 0 {
				out = o
			}
			return err
		})
		require.NoError(t, err, "ranks=%d", ranks)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		require.Len(t, lines, ranks, "one line per consumer plus the total:\n%s", out.String())
		require.Equal(t, "total 5000 records, checksum 41691660000 (sequential 41691660000)", lines[ranks-1])
	}
}

func TestProducerConsumerNeedsTwoRanks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := local.Run(ctx, 1, func(ctx context.Context, w rma.World) error {
		return Run(ctx, w, Config{Records: 1, Buffer: 1}, &bytes.Buffer{})
	})
	require.True(t, errors.Is(err, rma.ErrInvalidArgument), "got %v", err)
}
