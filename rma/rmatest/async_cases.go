package rmatest

import (
	"context"
	"errors"
	"runtime"

	"github.com/rmactor/rmactor/rma"
)

func asyncCases() []testCase {
	return []testCase{
		{name: "Futures/ThousandsOfPutFs", ranks: 2, min: 2, prog: func(Config) Program { return thousandsOfPutFs }},
		{name: "Futures/TakeFNotBehindBlockedPutF", ranks: 1, min: 1, prog: func(Config) Program { return takeFNotBehindPutF }},
		{name: "Futures/TakeFAcrossRanks", ranks: 3, min: 2, prog: func(Config) Program { return takeFAcrossRanks }},
		{name: "Futures/PutAfterPutFKeepsOrder", ranks: 2, min: 2, prog: func(Config) Program { return putAfterPutF }},
	}
}

// thousandsOfPutFs: 10 000 PutFs outstanding on a 4-slot ring cost no
// goroutine each, complete in order, and deliver everything.
func thousandsOfPutFs(ctx context.Context, w rma.World) error {
	const n = 10000
	ch, err := rma.NewChannel(ctx, w, 0, 4, 8, rma.WithClaims(n))
	if err != nil {
		return err
	}
	if w.Rank() == 1 {
		before := runtime.NumGoroutine()
		futs := make([]*rma.Future[struct{}], n)
		for i := range n {
			futs[i] = ch.PutF(message(uint64(i), 8))
		}
		if g := runtime.NumGoroutine(); g > before+16 {
			return failf("%d goroutines with %d PutFs outstanding (had %d)", g, n, before)
		}
		if err := w.Barrier(ctx); err != nil { // outstanding: now let the owner take
			return err
		}
		for i, f := range futs {
			if _, err := f.Wait(ctx); err != nil {
				return failf("putf %d: %v", i, err)
			}
		}
	} else {
		if err := w.Barrier(ctx); err != nil {
			return err
		}
	}
	if w.Rank() == 0 {
		for i := range n {
			m, err := ch.Take(ctx)
			if err != nil {
				return err
			}
			if id, err := checkMessage(m, 8); err != nil || id != uint64(i) {
				return failf("message %d has id %d (%v): PutFs out of order", i, id, err)
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// takeFNotBehindPutF: the seed deadlocks when a TakeF is queued behind a
// PutF blocked on a full ring. Here the TakeF frees the slot the PutF needs.
func takeFNotBehindPutF(ctx context.Context, w rma.World) error {
	arena, err := rma.NewArena(ctx, w, 4096)
	if err != nil {
		return err
	}
	if w.Rank() == 0 {
		if err := takeFThenPutF(ctx, arena); err != nil {
			return err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return arena.Close(ctx)
}

func takeFThenPutF(ctx context.Context, arena *rma.Arena) error {
	ch, err := arena.NewChannel(1, 8, rma.WithClaims(2))
	if err != nil {
		return err
	}
	if err := ch.Put(ctx, message(0, 8)); err != nil {
		return err
	}
	blocked := ch.PutF(message(1, 8)) // ring full: queued
	if blocked.Err() == nil {
		return failf("putf on a full one-slot ring completed at once")
	}
	m, err := ch.TakeF().Wait(ctx)
	if err != nil {
		return err
	}
	if id, _ := checkMessage(m, 8); id != 0 {
		return failf("takef got %d, want 0", id)
	}
	if _, err := blocked.Wait(ctx); err != nil {
		return err
	}
	if m, err = ch.TakeF().Wait(ctx); err != nil {
		return err
	}
	if id, _ := checkMessage(m, 8); id != 1 {
		return failf("second takef got %d, want 1", id)
	}
	return ch.Close(ctx)
}

func takeFAcrossRanks(ctx context.Context, w rma.World) error {
	const per = 200
	consumers := w.Size() - 1
	ch, err := rma.NewChannel(ctx, w, 0, 8, 8)
	if err != nil {
		return err
	}
	taken := uint64(0)
	if w.Rank() == 0 {
		if err := ch.Claim(per * consumers); err != nil {
			return err
		}
		for i := range per * consumers {
			if err := ch.PutF(message(uint64(i), 8)).Err(); err != nil && !errors.Is(err, rma.ErrPending) {
				return err
			}
		}
	} else {
		futs := make([]*rma.Future[[]byte], per)
		for i := range futs {
			futs[i] = ch.TakeF()
		}
		for _, f := range futs {
			if _, err := f.Wait(ctx); err != nil {
				if errors.Is(err, rma.ErrNoMore) {
					continue
				}
				return err
			}
			taken++
		}
		for {
			if _, err := ch.Take(ctx); errors.Is(err, rma.ErrNoMore) {
				break
			} else if err != nil {
				return err
			}
			taken++
		}
	}
	sums, err := sumToRoot(ctx, w, []uint64{taken})
	if err != nil {
		return err
	}
	if w.Rank() == 0 && sums[0] != per*uint64(consumers) {
		return failf("took %d, want %d", sums[0], per*consumers)
	}
	return ch.Close(ctx)
}

// putAfterPutF: a blocking Put queues behind this handle's earlier PutFs.
func putAfterPutF(ctx context.Context, w rma.World) error {
	const n = 50
	ch, err := rma.NewChannel(ctx, w, 0, 2, 8, rma.WithClaims(n+1))
	if err != nil {
		return err
	}
	if w.Rank() == 1 {
		for i := range n {
			ch.PutF(message(uint64(i), 8))
		}
		if err := ch.Put(ctx, message(n, 8)); err != nil {
			return err
		}
	}
	if w.Rank() == 0 {
		for i := range n + 1 {
			m, err := ch.Take(ctx)
			if err != nil {
				return err
			}
			if id, _ := checkMessage(m, 8); id != uint64(i) {
				return failf("message %d has id %d: Put overtook PutFs", i, id)
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}
