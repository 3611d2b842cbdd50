package rma_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// unitCtx is the bound of every test in this file.
func unitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// unitRun runs fn on n in-process ranks and fails the test on error.
// Programs of one rank use require (a failure ends the only rank); programs
// of several ranks use assert and return errors, so that a failing rank
// never leaves the others waiting in a collective call.
func unitRun(t *testing.T, n int, fn rma.Program) {
	t.Helper()
	require.NoError(t, local.Run(unitCtx(t), n, fn))
}

// --- Future ---

// TestFutureWaitCancelled: a Wait whose context is cancelled returns
// context.Canceled and does not cancel the operation, which completes later.
func TestFutureWaitCancelled(t *testing.T) {
	unitRun(t, 1, func(ctx context.Context, w rma.World) error {
		ch, err := rma.NewChannel(ctx, w, 0, 1, 8, rma.WithClaims(2))
		if err != nil {
			return err
		}
		require.NoError(t, ch.Put(ctx, []byte("a")))
		f := ch.PutF([]byte("b")) // the only slot is full: f waits
		require.ErrorIs(t, f.Err(), rma.ErrPending)

		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = f.Wait(cctx)
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, f.Err(), rma.ErrPending, "a cancelled Wait must not complete the future")
		select {
		case <-f.Done():
			t.Fatal("future done while its slot is still full")
		default:
		}

		dctx, dcancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
		defer dcancel()
		_, err = f.Wait(dctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)

		got, err := ch.Take(ctx) // frees the slot: the PutF goes on
		require.NoError(t, err)
		require.Equal(t, "a", string(got))
		_, err = f.Wait(ctx)
		require.NoError(t, err)
		require.NoError(t, f.Err())
		<-f.Done()
		got, err = ch.Take(ctx)
		require.NoError(t, err)
		require.Equal(t, "b", string(got))
		return ch.Close(ctx)
	})
}

// TestFutureTakeF: a pending TakeF completes with the message put later;
// a done future's Wait returns its value even with a cancelled context.
func TestFutureTakeF(t *testing.T) {
	unitRun(t, 1, func(ctx context.Context, w rma.World) error {
		ch, err := rma.NewChannel(ctx, w, 0, 2, 8, rma.WithClaims(1))
		if err != nil {
			return err
		}
		f := ch.TakeF()
		require.ErrorIs(t, f.Err(), rma.ErrPending)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = f.Wait(cctx)
		require.ErrorIs(t, err, context.Canceled)

		require.NoError(t, ch.Put(ctx, []byte("late")))
		got, err := f.Wait(ctx)
		require.NoError(t, err)
		require.Equal(t, "late", string(got))
		require.NoError(t, ch.Close(ctx))

		// A fresh channel whose TakeF is done at once: Wait ignores the
		// cancelled context.
		ch, err = rma.NewChannel(ctx, w, 0, 2, 8, rma.WithClaims(1))
		if err != nil {
			return err
		}
		require.NoError(t, ch.Put(ctx, []byte("now")))
		g := ch.TakeF()
		require.NoError(t, g.Err())
		got, err = g.Wait(cctx)
		require.NoError(t, err)
		require.Equal(t, "now", string(got))

		// Claims exhausted: the future's error is ErrNoMore.
		h := ch.TakeF()
		require.ErrorIs(t, h.Err(), rma.ErrNoMore)
		_, err = h.Wait(cctx)
		require.ErrorIs(t, err, rma.ErrNoMore)
		return ch.Close(ctx)
	})
}

// TestFutureErrorOfRejectedPutF: a PutF rejected up front is a done future
// carrying the error.
func TestFutureErrorOfRejectedPutF(t *testing.T) {
	unitRun(t, 1, func(ctx context.Context, w rma.World) error {
		ch, err := rma.NewChannel(ctx, w, 0, 2, 4, rma.WithClaims(0))
		if err != nil {
			return err
		}
		f := ch.PutF([]byte("12345"))
		<-f.Done()
		require.ErrorIs(t, f.Err(), rma.ErrMessageTooLarge)
		_, err = f.Wait(ctx)
		require.ErrorIs(t, err, rma.ErrMessageTooLarge)
		require.NoError(t, ch.Close(ctx))
		require.ErrorIs(t, ch.PutF([]byte("x")).Err(), rma.ErrClosed)
		require.ErrorIs(t, ch.TakeF().Err(), rma.ErrClosed)
		return nil
	})
}

// --- Handle ---

func TestHandleRoundTrip(t *testing.T) {
	for _, h := range []rma.Handle{
		{Rank: 0, Offset: 0, Capacity: 1, MessageSize: 0, Generation: 0},
		{Rank: 3, Offset: 640, Capacity: 16, MessageSize: 64, Generation: 42},
		{Rank: 1 << 62, Offset: 1 << 62, Capacity: 1 << 62, MessageSize: rma.MaxMessageSize, Generation: math.MaxUint64},
	} {
		b, err := h.MarshalBinary()
		require.NoError(t, err)
		require.Len(t, b, rma.HandleSize)
		var got rma.Handle
		require.NoError(t, got.UnmarshalBinary(b))
		require.Equal(t, h, got)

		prefix := []byte("pre")
		b2, err := h.AppendBinary(prefix)
		require.NoError(t, err)
		require.Equal(t, "pre", string(b2[:3]))
		require.Equal(t, b, b2[3:])
	}
}

func TestHandleMarshalRejects(t *testing.T) {
	for _, h := range []rma.Handle{
		{Rank: -1, Capacity: 1},
		{Offset: -64, Capacity: 1},
		{Capacity: 0},
		{Capacity: -3},
		{Capacity: 1, MessageSize: -1},
	} {
		_, err := h.MarshalBinary()
		require.ErrorIs(t, err, rma.ErrBadHandle, "%+v", h)
		out, err := h.AppendBinary([]byte("keep"))
		require.ErrorIs(t, err, rma.ErrBadHandle, "%+v", h)
		require.Equal(t, "keep", string(out))
	}
}

func TestHandleUnmarshalRejects(t *testing.T) {
	good, err := rma.Handle{Rank: 2, Offset: 128, Capacity: 8, MessageSize: 32, Generation: 5}.MarshalBinary()
	require.NoError(t, err)
	with := func(field int, v uint64) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint64(b[1+8*field:], v)
		return b
	}
	version := func(v byte) []byte {
		b := bytes.Clone(good)
		b[0] = v
		return b
	}
	cases := map[string][]byte{
		"nil":                 nil,
		"empty":               {},
		"one byte":            {1},
		"short":               good[:rma.HandleSize-1],
		"long":                append(bytes.Clone(good), 0),
		"version 0":           version(0),
		"version 2":           version(2),
		"version 255":         version(255),
		"rank over 2^62":      with(0, 1<<62+1),
		"rank negative":       with(0, math.MaxUint64),
		"offset over 2^62":    with(1, 1<<62+1),
		"offset negative":     with(1, 1<<63),
		"capacity 0":          with(2, 0),
		"capacity over 2^62":  with(2, 1<<62+1),
		"capacity negative":   with(2, math.MaxUint64),
		"message size over":   with(3, rma.MaxMessageSize+1),
		"message size neg":    with(3, math.MaxUint64),
		"message size 2^63":   with(3, 1<<63),
		"all ones":            bytes.Repeat([]byte{0xff}, rma.HandleSize),
		"all zeros":           make([]byte, rma.HandleSize),
		"version ok, zeroes":  append([]byte{1}, make([]byte, rma.HandleSize-1)...),
		"marshalled + suffix": append(bytes.Clone(good), good...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			h := rma.Handle{Rank: 9, Capacity: 9}
			err := h.UnmarshalBinary(b)
			require.ErrorIs(t, err, rma.ErrBadHandle)
			require.Equal(t, rma.Handle{Rank: 9, Capacity: 9}, h, "a rejected decode must not change the handle")
		})
	}
	// Any generation is valid.
	var h rma.Handle
	require.NoError(t, h.UnmarshalBinary(with(4, math.MaxUint64)))
	require.Equal(t, uint64(math.MaxUint64), h.Generation)
}

// TestHandleAcrossRanks: a handle marshalled on the owner and unmarshalled
// on another rank attaches to the same channel.
func TestHandleAcrossRanks(t *testing.T) {
	unitRun(t, 2, func(ctx context.Context, w rma.World) error {
		arena, err := rma.NewArena(ctx, w, 4096)
		if err != nil {
			return err
		}
		wire, err := rma.NewChannel(ctx, w, 1, 1, rma.HandleSize, rma.WithClaims(1))
		if err != nil {
			return err
		}
		if w.Rank() == 0 {
			ch, err := arena.NewChannel(2, 8, rma.WithClaims(1))
			if err != nil {
				return err
			}
			h, ok := ch.Handle()
			if !ok {
				return errors.New("arena channel has no handle")
			}
			b, err := h.MarshalBinary()
			if err != nil {
				return err
			}
			if err := wire.Put(ctx, b); err != nil {
				return err
			}
			got, err := ch.Take(ctx)
			if err != nil {
				return err
			}
			assert.Equal(t, "hi", string(got))
			if err := w.Barrier(ctx); err != nil {
				return err
			}
			if err := ch.Close(ctx); err != nil {
				return err
			}
		} else {
			b, err := wire.Take(ctx)
			if err != nil {
				return err
			}
			var h rma.Handle
			if err := h.UnmarshalBinary(b); err != nil {
				return err
			}
			assert.Equal(t, 0, h.Rank)
			ch, err := arena.Attach(h)
			if err != nil {
				return err
			}
			if err := ch.Put(ctx, []byte("hi")); err != nil {
				return err
			}
			if err := w.Barrier(ctx); err != nil {
				return err
			}
			if err := ch.Close(ctx); err != nil {
				return err
			}
		}
		if err := wire.Close(ctx); err != nil {
			return err
		}
		return arena.Close(ctx)
	})
}

// --- Records ---

type celsius float64

func TestRecordsRoundTrip(t *testing.T) {
	t.Run("float64", func(t *testing.T) {
		vals := []float64{0, -0.5, 1.25, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1)}
		msg := rma.AppendRecord(nil, vals...)
		require.Len(t, msg, rma.RecordBytes[float64](len(vals)))
		require.Equal(t, math.Float64bits(1.25), binary.LittleEndian.Uint64(msg[16:]))
		got, err := rma.DecodeRecord[float64](msg)
		require.NoError(t, err)
		require.Equal(t, vals, got)
		nan, err := rma.DecodeRecord[float64](rma.AppendRecord(nil, math.NaN()))
		require.NoError(t, err)
		require.True(t, math.IsNaN(nan[0]))
	})
	t.Run("int32", func(t *testing.T) {
		vals := []int32{0, 1, -1, math.MaxInt32, math.MinInt32}
		msg := rma.AppendRecord(nil, vals...)
		require.Len(t, msg, rma.RecordBytes[int32](len(vals)))
		require.Equal(t, []byte{1, 0, 0, 0}, msg[4:8], "little-endian")
		got, err := rma.DecodeRecord[int32](msg)
		require.NoError(t, err)
		require.Equal(t, vals, got)
	})
	t.Run("uint8", func(t *testing.T) {
		vals := []uint8{0, 1, 127, 128, 255}
		msg := rma.AppendRecord(nil, vals...)
		require.Equal(t, []byte{0, 1, 127, 128, 255}, msg)
		require.Equal(t, 5, rma.RecordBytes[uint8](5))
		got, err := rma.DecodeRecord[uint8](msg)
		require.NoError(t, err)
		require.Equal(t, vals, got)
	})
	t.Run("named type", func(t *testing.T) {
		vals := []celsius{-40, 100}
		msg := rma.AppendRecord(nil, vals...)
		require.Equal(t, rma.AppendRecord(nil, -40.0, 100.0), msg)
		got, err := rma.DecodeRecord[celsius](msg)
		require.NoError(t, err)
		require.Equal(t, vals, got)
	})
	t.Run("appends", func(t *testing.T) {
		msg := rma.AppendRecord([]byte("hdr"), int32(7))
		require.Equal(t, []byte{'h', 'd', 'r', 7, 0, 0, 0}, msg)
	})
	t.Run("empty", func(t *testing.T) {
		require.Empty(t, rma.AppendRecord[float64](nil))
		got, err := rma.DecodeRecord[float64](nil)
		require.NoError(t, err)
		require.Empty(t, got)
		require.Equal(t, 0, rma.RecordBytes[int32](0))
	})
}

func TestRecordsBadLength(t *testing.T) {
	for _, n := range []int{1, 7, 9, 15, 17} {
		_, err := rma.DecodeRecord[float64](make([]byte, n))
		require.ErrorIs(t, err, rma.ErrCorrupt, "float64, %d bytes", n)
	}
	for _, n := range []int{1, 2, 3, 5, 6, 7, 9} {
		_, err := rma.DecodeRecord[int32](make([]byte, n))
		require.ErrorIs(t, err, rma.ErrCorrupt, "int32, %d bytes", n)
	}
	for _, n := range []int{0, 1, 2, 3} {
		_, err := rma.DecodeRecord[uint8](make([]byte, n))
		require.NoError(t, err, "uint8, %d bytes", n)
	}
}

func TestRecordsChannel(t *testing.T) {
	unitRun(t, 2, func(ctx context.Context, w rma.World) error {
		ch, err := rma.NewChannel(ctx, w, 0, 4, rma.RecordBytes[float64](3), rma.WithClaims(2))
		if err != nil {
			return err
		}
		recs := rma.RecordsOf[float64](ch)
		assert.Same(t, ch, recs.Channel())
		if w.Rank() == 1 {
			if err := recs.Put(ctx, 1, 2, 3); err != nil {
				return err
			}
			if _, err := recs.PutF(4.5).Wait(ctx); err != nil {
				return err
			}
		} else {
			got, err := recs.Take(ctx)
			if err != nil {
				return err
			}
			assert.Equal(t, []float64{1, 2, 3}, got)
			got, err = recs.Take(ctx)
			if err != nil {
				return err
			}
			assert.Equal(t, []float64{4.5}, got)
			_, err = recs.Take(ctx)
			assert.ErrorIs(t, err, rma.ErrNoMore)
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return ch.Close(ctx)
	})
}

// --- Options ---

func TestWithBackoffValidation(t *testing.T) {
	bad := []rma.Backoff{
		{Spins: -1},
		{Yields: -1},
		{MinSleep: -time.Microsecond},
		{MinSleep: 2 * time.Microsecond, MaxSleep: time.Microsecond},
		{MinSleep: time.Microsecond}, // MaxSleep 0 < MinSleep
	}
	good := []rma.Backoff{
		{},
		{Spins: 0, Yields: 0, MinSleep: 0, MaxSleep: time.Millisecond},
		{Spins: 1, Yields: 1, MinSleep: time.Microsecond, MaxSleep: time.Microsecond},
		rma.DefaultBackoff(),
	}
	unitRun(t, 1, func(ctx context.Context, w rma.World) error {
		arena, err := rma.NewArena(ctx, w, 4096)
		if err != nil {
			return err
		}
		for _, b := range bad {
			_, err := rma.NewChannel(ctx, w, 0, 1, 8, rma.WithBackoff(b))
			require.ErrorIs(t, err, rma.ErrInvalidArgument, "NewChannel %+v", b)
			_, err = arena.NewChannel(1, 8, rma.WithBackoff(b))
			require.ErrorIs(t, err, rma.ErrInvalidArgument, "Arena.NewChannel %+v", b)
			_, err = arena.Attach(rma.Handle{Capacity: 1}, rma.WithBackoff(b))
			require.ErrorIs(t, err, rma.ErrInvalidArgument, "Attach %+v", b)
		}
		require.Equal(t, 4096, arena.Free(), "a rejected option must not take arena space")
		for _, b := range good {
			ch, err := rma.NewChannel(ctx, w, 0, 1, 8, rma.WithBackoff(b), rma.WithClaims(3))
			require.NoError(t, err, "%+v", b)
			for _, m := range []string{"x", "y", "z"} {
				f := ch.TakeF() // waits with the policy until the put below
				require.NoError(t, ch.Put(ctx, []byte(m)))
				got, err := f.Wait(ctx)
				require.NoError(t, err)
				require.Equal(t, m, string(got))
			}
			require.NoError(t, ch.Close(ctx))
		}
		return arena.Close(ctx)
	})
}

func TestOtherOptionValidation(t *testing.T) {
	unitRun(t, 1, func(ctx context.Context, w rma.World) error {
		_, err := rma.NewChannel(ctx, w, 0, 1, 8, rma.WithClaims(-1))
		require.ErrorIs(t, err, rma.ErrNegativeClaim)
		_, err = rma.NewChannel(ctx, w, 1, 1, 8)
		require.ErrorIs(t, err, rma.ErrInvalidRank)
		_, err = rma.NewChannel(ctx, w, -1, 1, 8)
		require.ErrorIs(t, err, rma.ErrInvalidRank)
		return nil
	})
}

// --- ChannelBytes ---

func TestChannelBytes(t *testing.T) {
	for _, c := range []struct{ capacity, msgSize, want int }{
		{1, 0, 320},  // 256 + 16 → 272, rounded up to 64
		{4, 8, 384},  // 256 + 4×24 = 352 → 384
		{3, 5, 384},  // stride 16+8 = 24: 256 + 72 = 328 → 384
		{2, 64, 448}, // 256 + 2×80 = 416 → 448
		{1, rma.MaxMessageSize, 256 + 16 + rma.MaxMessageSize + 48},
	} {
		n, err := rma.ChannelBytes(c.capacity, c.msgSize)
		require.NoError(t, err, "%+v", c)
		require.Equal(t, c.want, n, "%+v", c)
		require.Zero(t, n%64)
	}
	for _, c := range []struct{ capacity, msgSize int }{
		{0, 8},
		{-1, 8},
		{math.MinInt, 8},
		{1, -1},
		{1, rma.MaxMessageSize + 1},
		{1, math.MaxInt},
		{math.MaxInt, 8},
		{math.MaxInt / 24, 8},
		{1 << 40, rma.MaxMessageSize},
	} {
		_, err := rma.ChannelBytes(c.capacity, c.msgSize)
		require.ErrorIs(t, err, rma.ErrInvalidArgument, "%+v", c)
	}
}

// TestChannelBytesFitsArena: a channel of exactly ChannelBytes fills an
// arena of that size, and one slot more does not fit.
func TestChannelBytesFitsArena(t *testing.T) {
	n, err := rma.ChannelBytes(3, 40)
	require.NoError(t, err)
	unitRun(t, 1, func(ctx context.Context, w rma.World) error {
		arena, err := rma.NewArena(ctx, w, n)
		if err != nil {
			return err
		}
		_, err = arena.NewChannel(4, 40)
		require.ErrorIs(t, err, rma.ErrArenaExhausted)
		ch, err := arena.NewChannel(3, 40)
		require.NoError(t, err)
		require.Equal(t, 0, arena.Free())
		require.NoError(t, ch.Close(ctx))
		require.Equal(t, n, arena.Free())
		return arena.Close(ctx)
	})
}

func TestRankErrorUnwrap(t *testing.T) {
	inner := errors.New("boom")
	err := error(&rma.RankError{Rank: 3, Err: inner})
	require.ErrorIs(t, err, inner)
	require.Contains(t, err.Error(), "rank 3")
	require.Contains(t, err.Error(), "boom")
}
