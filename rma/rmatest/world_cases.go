package rmatest

import (
	"bytes"
	"context"

	"github.com/rmactor/rmactor/rma"
)

func worldCases() []testCase {
	return []testCase{
		{name: "World/RankAndSize", ranks: 4, min: 1, prog: func(Config) Program { return worldRankAndSize }},
		{name: "Window/AtomicsAcrossRanks", ranks: 4, min: 2, prog: func(Config) Program { return windowAtomics }},
		{name: "Window/PutGetPublish", ranks: 3, min: 2, prog: func(Config) Program { return windowPutGet }},
		{name: "Window/BadAccess", ranks: 2, min: 1, prog: func(Config) Program { return windowBadAccess }},
	}
}

func worldRankAndSize(ctx context.Context, w rma.World) error {
	if w.Rank() < 0 || w.Rank() >= w.Size() {
		return failf("rank %d outside [0, %d)", w.Rank(), w.Size())
	}
	// Every rank adds rank+1; the sum proves each rank is distinct.
	sums, err := sumToRoot(ctx, w, []uint64{uint64(w.Rank() + 1), 1})
	if err != nil {
		return err
	}
	n := uint64(w.Size())
	if w.Rank() == 0 && (sums[0] != n*(n+1)/2 || sums[1] != n) {
		return failf("ranks not distinct: sum of rank+1 is %d, count %d, want %d, %d", sums[0], sums[1], n*(n+1)/2, n)
	}
	return w.Barrier(ctx)
}

func windowAtomics(ctx context.Context, w rma.World) error {
	// Rank 0 holds 3 words: a counter, a CAS target, a stored word. Sizes
	// differ between ranks; others bring 8 bytes of their own.
	size := 8
	if w.Rank() == 0 {
		size = 24
	}
	win, err := w.Allocate(ctx, size)
	if err != nil {
		return err
	}
	if len(win.Local()) != size {
		return failf("local segment is %d bytes, want %d", len(win.Local()), size)
	}
	for i, b := range win.Local() {
		if b != 0 {
			return failf("new segment byte %d is %d, want 0", i, b)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	const adds = 1000
	for range adds {
		if _, err := win.FetchAdd(0, 0, 1); err != nil {
			return err
		}
	}
	// Exactly one rank wins the swap 0 -> rank+1.
	prev, err := win.CompareAndSwap(0, 8, 0, uint64(w.Rank()+1))
	if err != nil {
		return err
	}
	won := uint64(0)
	if prev == 0 {
		won = 1
	}
	if w.Rank() != 0 {
		if err := win.Store(w.Rank(), 0, uint64(w.Rank())*7); err != nil {
			return err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	sums, err := sumToRoot(ctx, w, []uint64{won})
	if err != nil {
		return err
	}
	if w.Rank() == 0 {
		if sums[0] != 1 {
			return failf("%d ranks won the same compare-and-swap, want 1", sums[0])
		}
	}
	got, err := win.Load(0, 0)
	if err != nil {
		return err
	}
	if w.Rank() != 0 && got != uint64(adds*w.Size()) {
		return failf("counter %d after %d fetch-adds from %d ranks", got, adds, w.Size())
	}
	winner, err := win.Load(0, 8)
	if err != nil {
		return err
	}
	if winner == 0 || winner > uint64(w.Size()) {
		return failf("compare-and-swap target holds %d", winner)
	}
	// A failed CAS returns the current value and changes nothing.
	if prev, err := win.CompareAndSwap(0, 8, 12345, 1); err != nil || prev != winner {
		return failf("failed compare-and-swap returned %d, %v; want %d", prev, err, winner)
	}
	peer := (w.Rank() + 1) % w.Size()
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if peer != 0 {
		v, err := win.Load(peer, 0)
		if err != nil {
			return err
		}
		if v != uint64(peer)*7 {
			return failf("rank %d's word is %d, want %d", peer, v, peer*7)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return win.Free(ctx)
}

func windowPutGet(ctx context.Context, w rma.World) error {
	const n = 64
	win, err := w.Allocate(ctx, n*w.Size()+16)
	if err != nil {
		return err
	}
	// Every rank puts its block into every rank's segment at rank*n.
	block := bytes.Repeat([]byte{byte(w.Rank() + 1)}, n)
	for r := range w.Size() {
		if err := win.Put(r, w.Rank()*n, block); err != nil {
			return err
		}
		if err := win.Flush(r); err != nil {
			return err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	peer := (w.Rank() + 1) % w.Size()
	got := make([]byte, n*w.Size())
	if err := win.Get(peer, 0, got); err != nil {
		return err
	}
	for r := range w.Size() {
		if !bytes.Equal(got[r*n:(r+1)*n], bytes.Repeat([]byte{byte(r + 1)}, n)) {
			return failf("rank %d's segment block %d is wrong", peer, r)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	// Publish: header and payload become visible with the flag.
	flagOff := n * w.Size()
	if w.Rank() == 1 {
		if err := win.Publish(0, 0, 5, []byte("hello"), flagOff, 99); err != nil {
			return err
		}
	}
	if w.Rank() == 0 {
		for rma.LoadLocal(win.Local(), flagOff) != 99 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := win.Sync(); err != nil {
				return err
			}
		}
		if h := rma.LoadLocal(win.Local(), 0); h != 5 || string(win.Local()[8:13]) != "hello" {
			return failf("published header %d payload %q", h, win.Local()[8:13])
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return win.Free(ctx)
}

func windowBadAccess(ctx context.Context, w rma.World) error {
	win, err := w.Allocate(ctx, 64)
	if err != nil {
		return err
	}
	checks := []struct {
		what string
		err  error
		want error
	}{}
	add := func(what string, err, want error) {
		checks = append(checks, struct {
			what      string
			err, want error
		}{what, err, want})
	}
	_, err = win.Load(w.Size(), 0)
	add("load from rank Size()", err, rma.ErrInvalidRank)
	_, err = win.FetchAdd(-1, 0, 1)
	add("fetch-add on rank -1", err, rma.ErrInvalidRank)
	_, err = win.Load(0, 64)
	add("load past the segment", err, rma.ErrOutOfBounds)
	err = win.Put(0, 60, make([]byte, 8))
	add("put across the segment end", err, rma.ErrOutOfBounds)
	err = win.Get(0, -8, make([]byte, 8))
	add("get at a negative offset", err, rma.ErrOutOfBounds)
	_, err = win.CompareAndSwap(0, 4, 0, 1)
	add("misaligned compare-and-swap", err, rma.ErrMisaligned)
	_, err = w.Allocate(ctx, -1)
	add("negative allocation", err, rma.ErrInvalidArgument)
	for _, c := range checks {
		if err := expectErr(c.what, c.err, c.want); err != nil {
			return err
		}
	}
	if err := win.Free(ctx); err != nil {
		return err
	}
	_, err = win.Load(0, 0)
	return expectErr("load after free", err, rma.ErrClosed)
}
