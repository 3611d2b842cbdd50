package rmatest

import (
	"context"
	"errors"
	"fmt"

	"github.com/rmactor/rmactor/rma"
)

// failf builds a case failure.
func failf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// expectErr checks that err wraps want.
func expectErr(what string, err, want error) error {
	if !errors.Is(err, want) {
		return failf("%s: got error %v, want %v", what, err, want)
	}
	return nil
}

// sumToRoot adds every rank's vals element-wise and returns the sums on rank
// 0 (nil elsewhere). It is collective and moves data with window operations
// only, like everything in the suite.
func sumToRoot(ctx context.Context, w rma.World, vals []uint64) ([]uint64, error) {
	size := 0
	if w.Rank() == 0 {
		size = 8 * len(vals)
	}
	win, err := w.Allocate(ctx, size)
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		if v == 0 {
			continue
		}
		if _, err := win.FetchAdd(0, 8*i, v); err != nil {
			return nil, err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return nil, err
	}
	var out []uint64
	if w.Rank() == 0 {
		if err := win.Sync(); err != nil {
			return nil, err
		}
		out = make([]uint64, len(vals))
		for i := range out {
			out[i] = rma.LoadLocal(win.Local(), 8*i)
		}
	}
	return out, win.Free(ctx)
}

// takeAll takes until ErrNoMore and returns what was taken.
func takeAll(ctx context.Context, ch *rma.Channel) ([][]byte, error) {
	var out [][]byte
	for msg, err := range ch.Messages(ctx) {
		if err != nil {
			return out, err
		}
		out = append(out, msg)
	}
	return out, nil
}

// closeAll closes channels, joining errors.
func closeAll(ctx context.Context, chs ...*rma.Channel) error {
	var errs []error
	for _, c := range chs {
		errs = append(errs, c.Close(ctx))
	}
	return errors.Join(errs...)
}

// message builds a test message: id, then bytes derived from id, n bytes in
// all (at least 8).
func message(id uint64, n int) []byte {
	b := make([]byte, n)
	putID(b, id)
	for i := 8; i < n; i++ {
		b[i] = byte(id*31 + uint64(i))
	}
	return b
}

func putID(b []byte, id uint64) {
	for i := range 8 {
		b[i] = byte(id >> (8 * i))
	}
}

func getID(b []byte) uint64 {
	var id uint64
	for i := range 8 {
		id |= uint64(b[i]) << (8 * i)
	}
	return id
}

// checkMessage verifies a message built by message.
func checkMessage(b []byte, n int) (uint64, error) {
	if len(b) != n {
		return 0, failf("message of %d bytes, want %d", len(b), n)
	}
	id := getID(b)
	for i := 8; i < n; i++ {
		if b[i] != byte(id*31+uint64(i)) {
			return id, failf("message %d: byte %d is %d, want %d", id, i, b[i], byte(id*31+uint64(i)))
		}
	}
	return id, nil
}
