package rmatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rmactor/rmactor/rma"
)

func channelCases() []testCase {
	return []testCase{
		{name: "Channel/PutTakeAcrossRanks", ranks: 3, min: 2, prog: func(Config) Program { return putTakeAcrossRanks }},
		{name: "Channel/PerProducerFIFO", ranks: 4, min: 2, prog: func(Config) Program { return perProducerFIFO }},
		{name: "Channel/ZeroLengthAndFullSlot", ranks: 2, min: 2, prog: func(Config) Program { return zeroAndFullSlot }},
		{name: "Channel/ShortAfterLongCarriesNoOldBytes", ranks: 2, min: 2, prog: func(Config) Program { return shortAfterLong }},
		{name: "Channel/Backpressure", ranks: 2, min: 2, prog: func(Config) Program { return backpressure }},
		{name: "Channel/CancelledTakeLeavesChannelConsistent", ranks: 2, min: 2, prog: func(Config) Program { return cancelledTake }},
		{name: "Channel/OversizeRejectedChannelStaysUsable", ranks: 3, min: 2, prog: func(Config) Program { return oversizeRejected }},
		{name: "Channel/BadArguments", ranks: 2, min: 1, prog: func(Config) Program { return badArguments }},
		{name: "Channel/UseAfterClose", ranks: 2, min: 1, prog: func(Config) Program { return useAfterClose }},
		{name: "Channel/RecordsOfFloat64", ranks: 3, min: 2, prog: func(Config) Program { return recordsOfFloat64 }},
		{name: "Channel/MismatchedArguments", ranks: 2, min: 2, prog: func(Config) Program { return mismatchedArguments }},
		{name: "Channel/EveryRankNamesItselfOwner", ranks: 3, min: 2, prog: func(Config) Program { return everyRankItsOwnOwner }},
	}
}

// putTakeAcrossRanks: the last rank owns the channel; every other rank puts
// to it and the owner takes everything.
func putTakeAcrossRanks(ctx context.Context, w rma.World) error {
	const per = 100
	owner := w.Size() - 1
	producers := w.Size() - 1
	ch, err := rma.NewChannel(ctx, w, owner, 8, 16, rma.WithClaims(per*producers))
	if err != nil {
		return err
	}
	if ch.Owner() != owner || ch.Capacity() != 8 || ch.MessageSize() != 16 {
		return failf("channel reports owner %d capacity %d size %d", ch.Owner(), ch.Capacity(), ch.MessageSize())
	}
	if w.Rank() != owner {
		for i := range per {
			if err := ch.Put(ctx, message(uint64(w.Rank()*per+i), 16)); err != nil {
				return err
			}
		}
	} else {
		got, err := takeAll(ctx, ch)
		if err != nil {
			return err
		}
		if len(got) != per*producers {
			return failf("took %d messages, want %d", len(got), per*producers)
		}
		seen := map[uint64]bool{}
		for _, m := range got {
			id, err := checkMessage(m, 16)
			if err != nil {
				return err
			}
			if seen[id] {
				return failf("message %d taken twice", id)
			}
			seen[id] = true
		}
		s, err := ch.Stats()
		if err != nil {
			return err
		}
		if s != (rma.Stats{Put: per * uint64(producers), Taken: per * uint64(producers), Claimed: per * uint64(producers)}) {
			return failf("stats %+v", s)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// perProducerFIFO: every rank but 0 puts a numbered sequence; rank 0 (the
// owner) takes them all and checks each producer's order.
func perProducerFIFO(ctx context.Context, w rma.World) error {
	const per = 2000
	producers := w.Size() - 1
	ch, err := rma.NewChannel(ctx, w, 0, 4, 16, rma.WithClaims(per*producers))
	if err != nil {
		return err
	}
	if w.Rank() != 0 {
		for i := range per {
			m := make([]byte, 16)
			putID(m, uint64(w.Rank()))
			putID(m[8:], uint64(i))
			if err := ch.Put(ctx, m); err != nil {
				return err
			}
		}
	} else {
		next := make([]uint64, w.Size())
		for m, err := range ch.Messages(ctx) {
			if err != nil {
				return err
			}
			from, seq := getID(m), getID(m[8:])
			if seq != next[from] {
				return failf("from rank %d: message %d arrived when %d was next", from, seq, next[from])
			}
			next[from]++
		}
		for r := 1; r < w.Size(); r++ {
			if next[r] != per {
				return failf("took %d messages from rank %d, want %d", next[r], r, per)
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

func zeroAndFullSlot(ctx context.Context, w rma.World) error {
	const size = 24
	ch, err := rma.NewChannel(ctx, w, 0, 2, size, rma.WithClaims(4))
	if err != nil {
		return err
	}
	full := bytes.Repeat([]byte{0xAB}, size)
	want := [][]byte{{}, full, {}, full}
	if w.Rank() == 1 {
		for _, m := range want {
			if err := ch.Put(ctx, m); err != nil {
				return err
			}
		}
	}
	if w.Rank() == 0 {
		got, err := takeAll(ctx, ch)
		if err != nil {
			return err
		}
		if len(got) != len(want) {
			return failf("took %d messages, want %d (a zero-length message is a message, not no-more)", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				return failf("message %d is %x, want %x", i, got[i], want[i])
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

func shortAfterLong(ctx context.Context, w rma.World) error {
	const size = 40
	// One slot: the short message reuses the slot the long one filled.
	ch, err := rma.NewChannel(ctx, w, 1, 1, size, rma.WithClaims(2))
	if err != nil {
		return err
	}
	if w.Rank() == 0 {
		if err := ch.Put(ctx, bytes.Repeat([]byte{'L'}, size)); err != nil {
			return err
		}
		if err := ch.Put(ctx, []byte("ab")); err != nil {
			return err
		}
	}
	if w.Rank() == 1 {
		long, err := ch.Take(ctx)
		if err != nil {
			return err
		}
		short, err := ch.TakeAppend(ctx, make([]byte, 0, size))
		if err != nil {
			return err
		}
		if len(long) != size || string(short) != "ab" || cap(short) != size {
			return failf("took %q then %q", long, short)
		}
		if bytes.Contains(short[:cap(short)], []byte{'L'}) {
			return failf("short message buffer holds bytes of the earlier long one: %q", short[:cap(short)])
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// backpressure: the producer fills the ring, sees a Put time out without
// effect, then a blocked Put completes once the owner takes one message.
func backpressure(ctx context.Context, w rma.World) error {
	const capacity = 4
	ch, err := rma.NewChannel(ctx, w, 0, capacity, 8, rma.WithClaims(capacity+1))
	if err != nil {
		return err
	}
	if w.Rank() == 1 {
		for i := range capacity {
			if err := ch.Put(ctx, message(uint64(i), 8)); err != nil {
				return err
			}
		}
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := ch.Put(short, message(999, 8))
		cancel()
		if err := expectErr("put on a full ring with an expiring context", err, context.DeadlineExceeded); err != nil {
			return err
		}
		s, err := ch.Stats()
		if err != nil {
			return err
		}
		if s.Put != capacity {
			return failf("timed-out put changed the channel: %+v", s)
		}
	}
	if err := w.Barrier(ctx); err != nil { // ring full, timed-out put done
		return err
	}
	if w.Rank() == 0 {
		first, err := ch.Take(ctx)
		if err != nil {
			return err
		}
		if id, err := checkMessage(first, 8); err != nil || id != 0 {
			return failf("first message %d, %v", id, err)
		}
	}
	if w.Rank() == 1 {
		// Blocks until the take above frees a slot (no barrier orders them).
		if err := ch.Put(ctx, message(capacity, 8)); err != nil {
			return err
		}
	}
	if w.Rank() == 0 {
		rest, err := takeAll(ctx, ch)
		if err != nil {
			return err
		}
		if len(rest) != capacity {
			return failf("took %d more messages, want %d", len(rest), capacity)
		}
		for i, m := range rest {
			if id, err := checkMessage(m, 8); err != nil || id != uint64(i+1) {
				return failf("message %d has id %d (%v): the timed-out put must leave nothing", i+1, id, err)
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

func cancelledTake(ctx context.Context, w rma.World) error {
	ch, err := rma.NewChannel(ctx, w, 0, 2, 8, rma.WithClaims(1))
	if err != nil {
		return err
	}
	// Every rank times out on the empty ring; the message put afterwards is
	// still taken exactly once.
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	_, err = ch.Take(short)
	cancel()
	if err := expectErr("take on an empty ring with an expiring context", err, context.DeadlineExceeded); err != nil {
		return err
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	_, err = ch.Take(gone)
	if err := expectErr("take with a cancelled context", err, context.Canceled); err != nil {
		return err
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 1 {
		if err := ch.Put(ctx, message(7, 8)); err != nil {
			return err
		}
	}
	took := uint64(0)
	msg, err := ch.Take(ctx)
	switch {
	case err == nil:
		if id, err := checkMessage(msg, 8); err != nil || id != 7 {
			return failf("took message %d (%v), want 7", id, err)
		}
		took = 1
	case !errors.Is(err, rma.ErrNoMore):
		return err
	}
	sums, err := sumToRoot(ctx, w, []uint64{took})
	if err != nil {
		return err
	}
	if w.Rank() == 0 && sums[0] != 1 {
		return failf("message taken %d times, want once", sums[0])
	}
	return ch.Close(ctx)
}

// oversizeRejected: an oversize put fails with a typed error before touching
// anything, and the channel keeps working for every rank.
func oversizeRejected(ctx context.Context, w rma.World) error {
	n := w.Size()
	// One slot per rank: rank 0 puts too, before it takes.
	ch, err := rma.NewChannel(ctx, w, 0, n, 8, rma.WithClaims(n))
	if err != nil {
		return err
	}
	err = ch.Put(ctx, make([]byte, 9))
	if err := expectErr("oversize put", err, rma.ErrMessageTooLarge); err != nil {
		return err
	}
	err = ch.PutF(make([]byte, 100)).Err()
	if err := expectErr("oversize putf", err, rma.ErrMessageTooLarge); err != nil {
		return err
	}
	if err := ch.Put(ctx, message(uint64(w.Rank()), 8)); err != nil {
		return err
	}
	if w.Rank() == 0 {
		got, err := takeAll(ctx, ch)
		if err != nil {
			return err
		}
		if len(got) != n {
			return failf("took %d messages, want %d", len(got), n)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

func badArguments(ctx context.Context, w rma.World) error {
	cases := []struct {
		what  string
		owner int
		cap   int
		size  int
		opts  []rma.ChannelOption
		want  error
	}{
		{"owner = Size()", w.Size(), 4, 8, nil, rma.ErrInvalidRank},
		{"owner -1", -1, 4, 8, nil, rma.ErrInvalidRank},
		{"zero capacity", 0, 0, 8, nil, rma.ErrInvalidArgument},
		{"negative message size", 0, 4, -1, nil, rma.ErrInvalidArgument},
		{"message size over the maximum", 0, 4, rma.MaxMessageSize + 1, nil, rma.ErrInvalidArgument},
		{"negative initial claims", 0, 4, 8, []rma.ChannelOption{rma.WithClaims(-1)}, rma.ErrNegativeClaim},
		{"bad backoff", 0, 4, 8, []rma.ChannelOption{rma.WithBackoff(rma.Backoff{Spins: -1})}, rma.ErrInvalidArgument},
		{"negative yield time", 0, 4, 8, []rma.ChannelOption{rma.WithBackoff(rma.Backoff{YieldFor: -time.Microsecond})}, rma.ErrInvalidArgument},
	}
	for _, c := range cases {
		_, err := rma.NewChannel(ctx, w, c.owner, c.cap, c.size, c.opts...)
		if err := expectErr(c.what, err, c.want); err != nil {
			return err
		}
	}
	ch, err := rma.NewChannel(ctx, w, 0, 4, 8)
	if err != nil {
		return err
	}
	if err := expectErr("Claim(-1)", ch.Claim(-1), rma.ErrNegativeClaim); err != nil {
		return err
	}
	if err := expectErr("Claim(MaxClaim+1)", ch.Claim(rma.MaxClaim+1), rma.ErrInvalidArgument); err != nil {
		return err
	}
	return ch.Close(ctx)
}

func useAfterClose(ctx context.Context, w rma.World) error {
	ch, err := rma.NewChannel(ctx, w, 0, 4, 8, rma.WithClaims(1))
	if err != nil {
		return err
	}
	if err := ch.Close(ctx); err != nil {
		return err
	}
	_, takeErr := ch.Take(ctx)
	_, statsErr := ch.Stats()
	checks := map[string]error{
		"put":   ch.Put(ctx, nil),
		"putf":  ch.PutF(nil).Err(),
		"take":  takeErr,
		"takef": ch.TakeF().Err(),
		"claim": ch.Claim(1),
		"stats": statsErr,
		"close": ch.Close(ctx),
	}
	for what, err := range checks {
		if err := expectErr(what+" after close", err, rma.ErrClosed); err != nil {
			return err
		}
	}
	return nil
}

// recordsOfFloat64 ports the seed's use: tuples of float64 as records.
func recordsOfFloat64(ctx context.Context, w rma.World) error {
	const n = 50
	ch, err := rma.NewChannel(ctx, w, 0, 8, rma.RecordBytes[float64](3), rma.WithClaims(n))
	if err != nil {
		return err
	}
	rec := rma.RecordsOf[float64](ch)
	if w.Rank() == 1 {
		for i := range n {
			if err := rec.Put(ctx, float64(i), float64(i)/2, -1); err != nil {
				return err
			}
		}
	}
	if w.Rank() == 0 {
		for i := range n {
			v, err := rec.Take(ctx)
			if err != nil {
				return err
			}
			if fmt.Sprint(v) != fmt.Sprint([]float64{float64(i), float64(i) / 2, -1}) {
				return failf("record %d is %v", i, v)
			}
		}
		if _, err := rec.Take(ctx); !errors.Is(err, rma.ErrNoMore) {
			return failf("take after the last record: %v, want ErrNoMore", err)
		}
		if _, err := rma.DecodeRecord[float64]([]byte{1, 2, 3}); !errors.Is(err, rma.ErrCorrupt) {
			return failf("decoding 3 bytes as float64s: %v, want ErrCorrupt", err)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// mismatchedArguments: when ranks disagree on the shape, every rank learns
// it (ErrMismatch) and the window is freed on all of them.
func mismatchedArguments(ctx context.Context, w rma.World) error {
	size := 8
	if w.Rank() == 1 {
		size = 16
	}
	_, err := rma.NewChannel(ctx, w, 0, 4, size)
	if err := expectErr("creation where rank 1 asks for another message size", err, rma.ErrMismatch); err != nil {
		return err
	}
	// The world is still usable: a matching channel works.
	ch, err := rma.NewChannel(ctx, w, 0, 4, 8, rma.WithClaims(0))
	if err != nil {
		return err
	}
	return ch.Close(ctx)
}

// everyRankItsOwnOwner: ranks that each name themselves as the owner would
// each get a private channel; every rank must learn of it instead.
func everyRankItsOwnOwner(ctx context.Context, w rma.World) error {
	_, err := rma.NewChannel(ctx, w, w.Rank(), 4, 8)
	if err := expectErr("creation where every rank names itself owner", err, rma.ErrMismatch); err != nil {
		return err
	}
	return w.Barrier(ctx)
}
