package clustertest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
)

// Sizes of the large values the collectives carry: each far larger than a
// mailbox slot and than the CBOR limits of earlier versions (65 536
// elements or entries).
const (
	plainFloats     = 4 << 20  // elements of a []float64: 32 MiB
	plainMapKeys    = 200_000  // keys of a map[string]int
	plainStringSize = 10 << 20 // bytes of a string
)

// plainCollectives: Broadcast, Gather and Reduce carry plain Go values with
// no codec registration (the Config of the cases registers no type): an
// int, a []float64 of 32 MiB, a map[string]int of 200 000 keys and a string
// of 10 MiB, each checked exactly on every rank that receives it.
func plainCollectives(ctx context.Context, c *cluster.Cluster) error {
	n, rank := c.Size(), c.Rank()
	if err := plainInts(ctx, c); err != nil {
		return fmt.Errorf("rank %d: int: %w", rank, err)
	}

	// []float64: rank 0's vector to everyone, then the sum of everyone's
	// on rank 0.
	var v []float64
	if rank == 0 {
		v = make([]float64, plainFloats)
		for i := range v {
			v[i] = float64(i) / 3
		}
	}
	got, err := cluster.Broadcast(ctx, c, v)
	if err != nil {
		return fmt.Errorf("rank %d: broadcast []float64: %w", rank, err)
	}
	if len(got) != plainFloats {
		return fmt.Errorf("rank %d: broadcast []float64 of %d elements, want %d", rank, len(got), plainFloats)
	}
	for i, x := range got {
		if x != float64(i)/3 {
			return fmt.Errorf("rank %d: broadcast []float64[%d] = %v, want %v", rank, i, x, float64(i)/3)
		}
	}
	mine := make([]float64, plainFloats)
	for i := range mine {
		mine[i] = float64(rank*plainFloats + i)
	}
	sum, err := cluster.Reduce(ctx, c, mine, func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for i := range a {
			out[i] = a[i] + b[i]
		}
		return out
	})
	if err != nil {
		return fmt.Errorf("rank %d: reduce []float64: %w", rank, err)
	}
	if rank == 0 {
		for i, x := range sum {
			// Integers below 2^53: the sum is exact.
			if want := float64(n*(n-1)/2*plainFloats + n*i); x != want {
				return fmt.Errorf("reduce []float64[%d] = %v, want %v", i, x, want)
			}
		}
	}
	got, mine, sum, v = nil, nil, nil, nil

	// map[string]int: everyone's on rank 0, then merged.
	m := make(map[string]int, plainMapKeys)
	for i := range plainMapKeys {
		m[fmt.Sprintf("key %d", i)] = rank*plainMapKeys + i
	}
	maps, err := cluster.Gather(ctx, c, m)
	if err != nil {
		return fmt.Errorf("rank %d: gather map[string]int: %w", rank, err)
	}
	if rank == 0 {
		for k, mk := range maps {
			if len(mk) != plainMapKeys {
				return fmt.Errorf("gather map[string]int: rank %d's has %d keys, want %d", k, len(mk), plainMapKeys)
			}
			for i := range plainMapKeys {
				if x, ok := mk[fmt.Sprintf("key %d", i)]; !ok || x != k*plainMapKeys+i {
					return fmt.Errorf("gather map[string]int: rank %d's key %d = %d, %v", k, i, x, ok)
				}
			}
		}
	}
	maps = nil
	merged, err := cluster.Reduce(ctx, c, m, func(a, b map[string]int) map[string]int {
		out := make(map[string]int, len(a))
		for k, x := range a {
			out[k] = x + b[k]
		}
		return out
	})
	if err != nil {
		return fmt.Errorf("rank %d: reduce map[string]int: %w", rank, err)
	}
	if rank == 0 {
		for i := range plainMapKeys {
			if x, want := merged[fmt.Sprintf("key %d", i)], n*(n-1)/2*plainMapKeys+n*i; x != want {
				return fmt.Errorf("reduce map[string]int: key %d = %d, want %d", i, x, want)
			}
		}
	}
	m, merged = nil, nil

	// A 10 MiB string from each rank, and rank 0's to everyone.
	s := strings.Repeat(string(rune('a'+rank%26)), plainStringSize)
	all, err := cluster.Gather(ctx, c, s)
	if err != nil {
		return fmt.Errorf("rank %d: gather string: %w", rank, err)
	}
	if rank == 0 {
		for k, sk := range all {
			if sk != strings.Repeat(string(rune('a'+k%26)), plainStringSize) {
				return fmt.Errorf("gather string: rank %d's string of %d bytes is not what it sent", k, len(sk))
			}
		}
	}
	b, err := cluster.Broadcast(ctx, c, s)
	if err != nil {
		return fmt.Errorf("rank %d: broadcast string: %w", rank, err)
	}
	if b != strings.Repeat("a", plainStringSize) {
		return fmt.Errorf("rank %d: broadcast string of %d bytes is not rank 0's", rank, len(b))
	}
	return nil
}

// plainInts: Broadcast, Gather and Reduce of plain ints.
func plainInts(ctx context.Context, c *cluster.Cluster) error {
	n, rank := c.Size(), c.Rank()
	for round := range 3 {
		v, err := cluster.Broadcast(ctx, c, 100*round+rank)
		if err != nil {
			return err
		}
		if v != 100*round {
			return fmt.Errorf("broadcast %d got %d", round, v)
		}
		all, err := cluster.Gather(ctx, c, -rank*rank)
		if err != nil {
			return err
		}
		sum, err := cluster.Reduce(ctx, c, rank+round, func(a, b int) int { return a + b })
		if err != nil {
			return err
		}
		if rank != 0 {
			if all != nil {
				return fmt.Errorf("gather on rank %d returned values", rank)
			}
			continue
		}
		for k, x := range all {
			if x != -k*k {
				return fmt.Errorf("gather[%d] = %d", k, x)
			}
		}
		if want := n*(n-1)/2 + n*round; sum != want {
			return fmt.Errorf("reduce = %d, want %d", sum, want)
		}
	}
	return nil
}

// smallMaxMessage is the transport's maximum message of the
// CollectiveOverMaxMessage case.
const smallMaxMessage = 64 << 10

func smallMaxMessageOptions() []actor.Option {
	return []actor.Option{actor.WithMaxMessageBytes(smallMaxMessage)}
}

// collectiveOverMaxMessage: with a 64 KiB maximum message, a broadcast of
// a value whose encoding fits works; one that does not fails on rank 0 with
// actor.ErrMessageTooLarge, before anything is sent. The ranks are then
// out of step, so that is the last collective.
func collectiveOverMaxMessage(ctx context.Context, c *cluster.Cluster) error {
	fits := strings.Repeat("f", smallMaxMessage-1024)
	got, err := cluster.Broadcast(ctx, c, fits)
	if err != nil {
		return fmt.Errorf("rank %d: broadcast of %d bytes: %w", c.Rank(), len(fits), err)
	}
	if got != fits {
		return fmt.Errorf("rank %d: broadcast of %d bytes gave %d", c.Rank(), len(fits), len(got))
	}
	if c.Rank() != 0 {
		return nil
	}
	tooLarge := make([]int64, smallMaxMessage/8)
	for i := range tooLarge {
		tooLarge[i] = -1 << 40 // 9 bytes each in CBOR
	}
	if _, err := cluster.Broadcast(ctx, c, tooLarge); !errors.Is(err, actor.ErrMessageTooLarge) {
		return fmt.Errorf("broadcast of %d int64s with a %d-byte maximum message: %v, want actor.ErrMessageTooLarge", len(tooLarge), smallMaxMessage, err)
	}
	return nil
}
