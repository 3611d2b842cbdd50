package rmatest

import (
	"context"
	"errors"

	"github.com/rmactor/rmactor/rma"
)

func arenaCases() []testCase {
	return []testCase{
		{name: "Arena/RunTimeChannelsByHandle", ranks: 3, min: 2, prog: func(Config) Program { return arenaByHandle }},
		{name: "Arena/ExhaustedAndReused", ranks: 1, min: 1, prog: func(Config) Program { return arenaExhausted }},
		{name: "Arena/BadHandles", ranks: 2, min: 2, prog: func(Config) Program { return arenaBadHandles }},
	}
}

// exchangeHandles publishes every rank's handle through a collective
// channel of handles owned by rank 0 and returns all of them, by rank.
func exchangeHandles(ctx context.Context, w rma.World, mine rma.Handle) ([]rma.Handle, error) {
	board, err := w.Allocate(ctx, rma.HandleSize*w.Size()*boolInt(w.Rank() == 0))
	if err != nil {
		return nil, err
	}
	b, err := mine.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if err := board.Put(0, w.Rank()*rma.HandleSize, b); err != nil {
		return nil, err
	}
	if err := w.Barrier(ctx); err != nil {
		return nil, err
	}
	all := make([]rma.Handle, w.Size())
	for r := range all {
		buf := make([]byte, rma.HandleSize)
		if err := board.Get(0, r*rma.HandleSize, buf); err != nil {
			return nil, err
		}
		if err := all[r].UnmarshalBinary(buf); err != nil {
			return nil, err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return nil, err
	}
	return all, board.Free(ctx)
}

// arenaByHandle: every rank makes a channel at run time in its own arena
// segment; every other rank attaches by handle and sends it one message.
func arenaByHandle(ctx context.Context, w rma.World) error {
	arena, err := rma.NewArena(ctx, w, 1<<16)
	if err != nil {
		return err
	}
	n := w.Size() - 1
	mine, err := arena.NewChannel(4, 16, rma.WithClaims(n))
	if err != nil {
		return err
	}
	h, ok := mine.Handle()
	if !ok || h.Rank != w.Rank() {
		return failf("handle %+v, %v", h, ok)
	}
	all, err := exchangeHandles(ctx, w, h)
	if err != nil {
		return err
	}
	for r, hr := range all {
		if r == w.Rank() {
			continue
		}
		peer, err := arena.Attach(hr)
		if err != nil {
			return err
		}
		if err := peer.Put(ctx, message(uint64(w.Rank()), 16)); err != nil {
			return err
		}
		if err := peer.Close(ctx); err != nil {
			return err
		}
	}
	got, err := takeAll(ctx, mine)
	if err != nil {
		return err
	}
	if len(got) != n {
		return failf("took %d messages, want %d", len(got), n)
	}
	if err := mine.Close(ctx); err != nil {
		return err
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return arena.Close(ctx)
}

func arenaExhausted(ctx context.Context, w rma.World) error {
	per, err := rma.ChannelBytes(4, 64)
	if err != nil {
		return err
	}
	arena, err := rma.NewArena(ctx, w, 3*per)
	if err != nil {
		return err
	}
	var chs []*rma.Channel
	for range 3 {
		c, err := arena.NewChannel(4, 64, rma.WithClaims(0))
		if err != nil {
			return err
		}
		chs = append(chs, c)
	}
	if _, err := arena.NewChannel(4, 64); !errors.Is(err, rma.ErrArenaExhausted) {
		return failf("fourth channel in a 3-channel arena: %v, want ErrArenaExhausted", err)
	}
	if arena.Free() != 0 {
		return failf("full arena reports %d free bytes", arena.Free())
	}
	// Freeing the middle one makes room for exactly one again, under a new
	// generation: the old handle no longer attaches.
	old, _ := chs[1].Handle()
	if err := chs[1].Close(ctx); err != nil {
		return err
	}
	again, err := arena.NewChannel(4, 64)
	if err != nil {
		return err
	}
	h, _ := again.Handle()
	if h.Offset != old.Offset || h.Generation == old.Generation {
		return failf("reused span: old %+v new %+v", old, h)
	}
	if _, err := arena.Attach(old); !errors.Is(err, rma.ErrBadHandle) {
		return failf("attach with a stale generation: %v, want ErrBadHandle", err)
	}
	if err := closeAll(ctx, chs[0], chs[2], again); err != nil {
		return err
	}
	if arena.Free() != 3*per {
		return failf("emptied arena reports %d free bytes, want %d", arena.Free(), 3*per)
	}
	if err := arena.Close(ctx); err != nil {
		return err
	}
	if _, err := arena.NewChannel(4, 64); !errors.Is(err, rma.ErrClosed) {
		return failf("channel in a closed arena: %v, want ErrClosed", err)
	}
	if _, err := arena.Attach(h); !errors.Is(err, rma.ErrClosed) {
		return failf("attach in a closed arena: %v, want ErrClosed", err)
	}
	return nil
}

func arenaBadHandles(ctx context.Context, w rma.World) error {
	arena, err := rma.NewArena(ctx, w, 1<<12)
	if err != nil {
		return err
	}
	ch, err := arena.NewChannel(2, 8)
	if err != nil {
		return err
	}
	h, _ := ch.Handle()
	all, err := exchangeHandles(ctx, w, h)
	if err != nil {
		return err
	}
	peer := all[(w.Rank()+1)%w.Size()]
	bad := []struct {
		what string
		h    rma.Handle
	}{
		{"wrong generation", withGen(peer, peer.Generation+1)},
		{"wrong capacity", withCap(peer, peer.Capacity+1)},
		{"offset inside a ring", withOff(peer, peer.Offset+64)},
		{"unaligned offset", withOff(peer, peer.Offset+8)},
		{"offset past the arena", withOff(peer, 1<<20)},
		{"rank outside the world", withRank(peer, w.Size())},
		{"own rank, offset past the arena", withRank(withOff(peer, 1<<20), w.Rank())},
	}
	for _, b := range bad {
		if _, err := arena.Attach(b.h); !errors.Is(err, rma.ErrBadHandle) {
			return failf("attach with %s: %v, want ErrBadHandle", b.what, err)
		}
	}
	var dec rma.Handle
	for _, garbage := range [][]byte{nil, {1, 2, 3}, make([]byte, rma.HandleSize)} {
		if err := dec.UnmarshalBinary(garbage); !errors.Is(err, rma.ErrBadHandle) {
			return failf("decoding % x: %v, want ErrBadHandle", garbage, err)
		}
	}
	if err := ch.Close(ctx); err != nil {
		return err
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return arena.Close(ctx)
}

func withGen(h rma.Handle, g uint64) rma.Handle { h.Generation = g; return h }
func withCap(h rma.Handle, c int) rma.Handle    { h.Capacity = c; return h }
func withOff(h rma.Handle, o int) rma.Handle    { h.Offset = o; return h }
func withRank(h rma.Handle, r int) rma.Handle   { h.Rank = r; return h }
