package rmatest

import (
	"context"
	"fmt"

	"github.com/rmactor/rmactor/rma"
)

func stressCases() []testCase {
	return []testCase{
		{name: "Stress/ExactlyOnce8x8SmallRing", ranks: 16, min: 2, prog: func(c Config) Program {
			return exactlyOnce(4, c.StressMessages, ownerConsumer)
		}},
		{name: "Stress/ExactlyOnce8x8LargeRing", ranks: 16, min: 2, prog: func(c Config) Program {
			return exactlyOnce(4096, c.StressMessages, ownerProducer)
		}},
	}
}

type ownerRole int

const (
	ownerProducer ownerRole = iota // rank 0, a producer, owns the ring
	ownerConsumer                  // the last rank, a consumer, owns the ring
)

// exactlyOnce: the first half of the ranks produce total messages between
// them, the second half consume until ErrNoMore. Every message is counted in
// a window on rank 0: each must be taken exactly once, with intact content,
// and each consumer must see each producer's messages in put order.
func exactlyOnce(capacity, total int, role ownerRole) Program {
	return func(ctx context.Context, w rma.World) error {
		const size = 24
		producers := max(w.Size()/2, 1)
		owner := 0
		if role == ownerConsumer {
			owner = w.Size() - 1
		}
		ch, err := rma.NewChannel(ctx, w, owner, capacity, size, rma.WithClaims(total))
		if err != nil {
			return err
		}
		counts, err := w.Allocate(ctx, 8*total*boolInt(w.Rank() == 0))
		if err != nil {
			return err
		}
		var took, sum uint64
		if w.Rank() < producers {
			msg := make([]byte, size)
			for id := w.Rank(); id < total; id += producers {
				fill(msg, uint64(id))
				if err := ch.Put(ctx, msg); err != nil {
					return err
				}
			}
		}
		if w.Rank() >= producers || w.Size() == 1 {
			last := make([]int64, producers)
			for i := range last {
				last[i] = -1
			}
			buf := make([]byte, 0, size)
			for {
				m, err := ch.TakeAppend(ctx, buf[:0])
				if err == rma.ErrNoMore {
					break
				}
				if err != nil {
					return err
				}
				id, err := checkMessage(m, size)
				if err != nil {
					return err
				}
				if id >= uint64(total) {
					return failf("message id %d out of range", id)
				}
				from := int(id) % producers
				if int64(id) <= last[from] {
					return failf("from producer %d: message %d after %d", from, id, last[from])
				}
				last[from] = int64(id)
				if _, err := counts.FetchAdd(0, 8*int(id), 1); err != nil {
					return err
				}
				took++
				sum += id
			}
		}
		sums, err := sumToRoot(ctx, w, []uint64{took, sum})
		if err != nil {
			return err
		}
		if w.Rank() == 0 {
			want := uint64(total) * uint64(total-1) / 2
			if sums[0] != uint64(total) || sums[1] != want {
				return failf("took %d messages with id sum %d, want %d and %d", sums[0], sums[1], total, want)
			}
			for id := range total {
				if c := rma.LoadLocal(counts.Local(), 8*id); c != 1 {
					return failf("message %d taken %d times", id, c)
				}
			}
		}
		if err := counts.Free(ctx); err != nil {
			return err
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if err := ch.Close(ctx); err != nil {
			return fmt.Errorf("close: %w", err)
		}
		return nil
	}
}

// fill writes message(id, len(b)) into b without allocating.
func fill(b []byte, id uint64) {
	putID(b, id)
	for i := 8; i < len(b); i++ {
		b[i] = byte(id*31 + uint64(i))
	}
}
