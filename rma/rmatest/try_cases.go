package rmatest

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/rmactor/rmactor/rma"
)

// Cases of the calls that never wait: TryPut and TryTakeAppend.
func tryCases() []testCase {
	return []testCase{
		{name: "Try/FullRingRefusesAndWritesNothing", ranks: 3, min: 1, prog: func(Config) Program { return tryFullRing }},
		{name: "Try/EmptyRingTakesNothing", ranks: 3, min: 1, prog: func(Config) Program { return tryEmptyRing }},
		{name: "Try/NoMoreAfterClaims", ranks: 2, min: 1, prog: func(Config) Program { return tryNoMoreAfterClaims }},
		{name: "Try/OversizeRejectedNothingWritten", ranks: 2, min: 1, prog: func(Config) Program { return tryOversize }},
		{name: "Try/PerProducerFIFO", ranks: 4, min: 2, prog: func(Config) Program { return tryFIFO }},
		{name: "Try/KeepOrderWithQueuedFutures", ranks: 2, min: 2, prog: func(Config) Program { return tryBehindFutures }},
		{name: "Try/ConcurrentProducersExactlyOnce", ranks: 4, min: 1, prog: func(c Config) Program {
			return tryExactlyOnce(min(c.StressMessages, 1<<15))
		}},
	}
}

// tryBackoff paces a loop retrying a Try call: it spins with yields, then
// sleeps briefly, so that ranks sharing cores (or MPI progress) go on.
type tryBackoff struct{ n int }

func (b *tryBackoff) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.n++
	if b.n <= 64 {
		runtime.Gosched()
		return nil
	}
	t := time.NewTimer(time.Microsecond << min(b.n-64, 7))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// tryPut retries TryPut until it succeeds.
func tryPut(ctx context.Context, ch *rma.Channel, msg []byte) error {
	var b tryBackoff
	for {
		ok, err := ch.TryPut(msg)
		if err != nil || ok {
			return err
		}
		if err := b.wait(ctx); err != nil {
			return failf("TryPut never found room: %v", err)
		}
	}
}

// tryTake retries TryTakeAppend until it takes a message or fails.
func tryTake(ctx context.Context, ch *rma.Channel, dst []byte) ([]byte, error) {
	var b tryBackoff
	for {
		out, ok, err := ch.TryTakeAppend(dst)
		if err != nil {
			return out, err
		}
		if ok {
			return out, nil
		}
		if err := b.wait(ctx); err != nil {
			return out, failf("TryTakeAppend never found a message: %v", err)
		}
	}
}

// tryFullRing: the last rank fills the ring with TryPut; then every rank's
// TryPut, the owner's and ones with a stale view of the tail included, is
// refused with nothing written. After one take, exactly one put fits again.
func tryFullRing(ctx context.Context, w rma.World) error {
	const capacity, size = 4, 16
	producer := w.Size() - 1
	ch, err := rma.NewChannel(ctx, w, 0, capacity, size, rma.WithClaims(capacity+1))
	if err != nil {
		return err
	}
	if w.Rank() == producer {
		for i := range capacity {
			ok, err := ch.TryPut(message(uint64(i), size))
			if err != nil {
				return err
			}
			if !ok {
				return failf("TryPut %d refused on a ring with %d free slots", i, capacity-i)
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	for range 3 {
		ok, err := ch.TryPut(message(1000+uint64(w.Rank()), size))
		if err != nil {
			return err
		}
		if ok {
			return failf("rank %d: TryPut accepted on a full ring", w.Rank())
		}
	}
	s, err := ch.Stats()
	if err != nil {
		return err
	}
	if s.Put != capacity {
		return failf("rank %d: stats %+v after refused puts, want %d put", w.Rank(), s, capacity)
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		m, ok, err := ch.TryTakeAppend(nil)
		if err != nil || !ok {
			return failf("take from a full ring: %v, %v", ok, err)
		}
		if id, err := checkMessage(m, size); err != nil || id != 0 {
			return failf("took message %d (%v), want 0", id, err)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == producer {
		// One slot is free: one put fits, the next is refused.
		if ok, err := ch.TryPut(message(capacity, size)); err != nil || !ok {
			return failf("TryPut into the freed slot: %v, %v", ok, err)
		}
		if ok, err := ch.TryPut(message(capacity+1, size)); err != nil || ok {
			return failf("TryPut into a ring full again: %v, %v", ok, err)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		for want := uint64(1); want <= capacity; want++ {
			m, ok, err := ch.TryTakeAppend(nil)
			if err != nil || !ok {
				return failf("take %d: %v, %v", want, ok, err)
			}
			if id, err := checkMessage(m, size); err != nil || id != want {
				return failf("took message %d (%v), want %d: a refused put wrote into the ring", id, err, want)
			}
		}
		if _, err := tryTake(ctx, ch, nil); !errors.Is(err, rma.ErrNoMore) {
			return failf("take after the claimed messages: %v, want ErrNoMore", err)
		}
		s, err := ch.Stats()
		if err != nil {
			return err
		}
		if s != (rma.Stats{Put: capacity + 1, Taken: capacity + 1, Claimed: capacity + 1}) {
			return failf("stats %+v", s)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// tryEmptyRing: TryTakeAppend on an empty ring reports false and leaves dst
// alone, on every rank; before the first claim it reports false even with
// a message in the ring (not ErrNoMore); after a claim of one, exactly one
// rank takes it.
func tryEmptyRing(ctx context.Context, w rma.World) error {
	const size = 16
	ch, err := rma.NewChannel(ctx, w, 0, 4, size) // opened by the first Claim
	if err != nil {
		return err
	}
	dst := []byte("keep")
	check := func(what string) error {
		for range 3 {
			out, ok, err := ch.TryTakeAppend(dst)
			if err != nil || ok {
				return failf("rank %d: TryTakeAppend %s: %v, %v", w.Rank(), what, ok, err)
			}
			if string(out) != "keep" || &out[0] != &dst[0] {
				return failf("rank %d: TryTakeAppend %s returned %q, want dst untouched", w.Rank(), what, out)
			}
		}
		return nil
	}
	if err := check("before any claim"); err != nil {
		return err
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == w.Size()-1 {
		if ok, err := ch.TryPut(message(7, size)); err != nil || !ok {
			return failf("TryPut: %v, %v", ok, err)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if err := check("with a message but no claim"); err != nil {
		return err
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == w.Size()-1 {
		if err := ch.Claim(1); err != nil {
			return err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	// Every rank tries until it took the message or learns that all claimed
	// messages were taken.
	took := uint64(0)
	m, err := tryTake(ctx, ch, nil)
	switch {
	case err == nil:
		if id, err := checkMessage(m, size); err != nil || id != 7 {
			return failf("took message %d (%v), want 7", id, err)
		}
		took = 1
		if _, ok, err := ch.TryTakeAppend(nil); ok || !errors.Is(err, rma.ErrNoMore) {
			return failf("take after the only claimed message: %v, %v, want ErrNoMore", ok, err)
		}
	case !errors.Is(err, rma.ErrNoMore):
		return err
	}
	sums, err := sumToRoot(ctx, w, []uint64{took})
	if err != nil {
		return err
	}
	if w.Rank() == 0 && sums[0] != 1 {
		return failf("the one message was taken %d times", sums[0])
	}
	// Claims re-open the drained ring: empty again, so false, not ErrNoMore.
	if w.Rank() == 0 {
		if err := ch.Claim(1); err != nil {
			return err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if err := check("re-opened and empty"); err != nil {
		return err
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		if err := tryPut(ctx, ch, message(8, size)); err != nil {
			return err
		}
		if m, err := tryTake(ctx, ch, nil); err != nil || getID(m) != 8 {
			return failf("take after the new claim: %v", err)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// tryNoMoreAfterClaims: TryTakeAppend takes exactly the claimed messages,
// then reports ErrNoMore with dst untouched although messages remain;
// another claim lets it take them.
func tryNoMoreAfterClaims(ctx context.Context, w rma.World) error {
	const claimed, extra, size = 3, 2, 8
	ch, err := rma.NewChannel(ctx, w, 0, 8, size, rma.WithClaims(claimed))
	if err != nil {
		return err
	}
	if w.Rank() == w.Size()-1 {
		for i := range claimed + extra {
			if ok, err := ch.TryPut(message(uint64(i), size)); err != nil || !ok {
				return failf("TryPut %d: %v, %v", i, ok, err)
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		buf := make([]byte, 0, size)
		for i := range claimed {
			m, err := tryTake(ctx, ch, buf[:0])
			if err != nil {
				return failf("take %d of %d claimed: %v", i+1, claimed, err)
			}
			if id, err := checkMessage(m, size); err != nil || id != uint64(i) {
				return failf("took message %d (%v), want %d", id, err, i)
			}
		}
		dst := []byte("dst")
		for range 3 {
			out, ok, err := ch.TryTakeAppend(dst)
			if ok || !errors.Is(err, rma.ErrNoMore) {
				return failf("take beyond the claims: %v, %v, want ErrNoMore", ok, err)
			}
			if string(out) != "dst" {
				return failf("take beyond the claims returned %q", out)
			}
		}
		s, err := ch.Stats()
		if err != nil {
			return err
		}
		if s.Taken != claimed || s.Len() != extra {
			return failf("stats %+v: want %d taken, %d left", s, claimed, extra)
		}
		if err := ch.Claim(extra); err != nil {
			return err
		}
		for i := claimed; i < claimed+extra; i++ {
			m, err := tryTake(ctx, ch, nil)
			if err != nil {
				return failf("take %d after the new claim: %v", i, err)
			}
			if id, err := checkMessage(m, size); err != nil || id != uint64(i) {
				return failf("took message %d (%v), want %d", id, err, i)
			}
		}
		if _, ok, err := ch.TryTakeAppend(nil); ok || !errors.Is(err, rma.ErrNoMore) {
			return failf("take after every claim: %v, %v, want ErrNoMore", ok, err)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// tryOversize: an oversize TryPut fails with ErrMessageTooLarge and writes
// nothing, on an empty ring and on a full one; the channel stays usable.
func tryOversize(ctx context.Context, w rma.World) error {
	const capacity, size = 2, 16
	ch, err := rma.NewChannel(ctx, w, 0, capacity, size, rma.WithClaims(capacity))
	if err != nil {
		return err
	}
	producer := w.Size() - 1
	refuse := func(what string) error {
		for _, n := range []int{size + 1, size + 8, 4096} {
			ok, err := ch.TryPut(make([]byte, n))
			if ok || !errors.Is(err, rma.ErrMessageTooLarge) {
				return failf("TryPut of %d bytes into %s: %v, %v, want ErrMessageTooLarge", n, what, ok, err)
			}
		}
		return nil
	}
	if w.Rank() == producer {
		if err := refuse("an empty ring"); err != nil {
			return err
		}
		if ok, err := ch.TryPut(bytes.Repeat([]byte{0xAB}, size)); err != nil || !ok {
			return failf("TryPut of a full-size message: %v, %v", ok, err)
		}
		if ok, err := ch.TryPut(nil); err != nil || !ok {
			return failf("TryPut of an empty message: %v, %v", ok, err)
		}
		if err := refuse("a full ring"); err != nil {
			return err
		}
		s, err := ch.Stats()
		if err != nil {
			return err
		}
		if s.Put != capacity {
			return failf("stats %+v after refused oversize puts, want %d put", s, capacity)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		m, err := tryTake(ctx, ch, nil)
		if err != nil || !bytes.Equal(m, bytes.Repeat([]byte{0xAB}, size)) {
			return failf("first message %x (%v)", m, err)
		}
		m, err = tryTake(ctx, ch, []byte{})
		if err != nil || len(m) != 0 {
			return failf("second message %x (%v), want empty", m, err)
		}
		if _, ok, err := ch.TryTakeAppend(nil); ok || !errors.Is(err, rma.ErrNoMore) {
			return failf("third take: %v, %v, want ErrNoMore", ok, err)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// tryFIFO: every rank but 0 puts a numbered sequence with TryPut into a
// small ring; rank 0, the owner, takes with TryTakeAppend and checks each
// producer's order.
func tryFIFO(ctx context.Context, w rma.World) error {
	const per, size = 2000, 16
	producers := w.Size() - 1
	ch, err := rma.NewChannel(ctx, w, 0, 4, size, rma.WithClaims(per*producers))
	if err != nil {
		return err
	}
	if w.Rank() != 0 {
		m := make([]byte, size)
		for i := range per {
			putID(m, uint64(w.Rank()))
			putID(m[8:], uint64(i))
			if err := tryPut(ctx, ch, m); err != nil {
				return err
			}
		}
	} else {
		next := make([]uint64, w.Size())
		buf := make([]byte, 0, size)
		for {
			m, err := tryTake(ctx, ch, buf[:0])
			if errors.Is(err, rma.ErrNoMore) {
				break
			}
			if err != nil {
				return err
			}
			if len(m) != size {
				return failf("message of %d bytes", len(m))
			}
			from, seq := getID(m), getID(m[8:])
			if from == 0 || from >= uint64(w.Size()) {
				return failf("message from rank %d", from)
			}
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

// tryBehindFutures: TryPut refuses while an earlier PutF of the same handle
// is queued, and TryTakeAppend while an earlier TakeF is, so that neither
// overtakes a future.
func tryBehindFutures(ctx context.Context, w rma.World) error {
	const capacity, size = 2, 8
	producer := w.Size() - 1
	ch, err := rma.NewChannel(ctx, w, 0, capacity, size, rma.WithClaims(capacity+4))
	if err != nil {
		return err
	}
	if w.Rank() == producer {
		for i := range capacity {
			if ok, err := ch.TryPut(message(uint64(i), size)); err != nil || !ok {
				return failf("TryPut %d: %v, %v", i, ok, err)
			}
		}
		f := ch.PutF(message(capacity, size)) // the ring is full: queued
		if f.Err() == nil {
			return failf("PutF into a full ring completed at once")
		}
		if ok, err := ch.TryPut(message(capacity+1, size)); err != nil || ok {
			return failf("TryPut with a PutF queued: %v, %v, want false", ok, err)
		}
		if err := w.Barrier(ctx); err != nil { // the owner may take now
			return err
		}
		// Race the PutF for the slot the owner frees: TryPut may succeed
		// only once the PutF is done.
		var b tryBackoff
		for {
			ok, err := ch.TryPut(message(capacity+1, size))
			if err != nil {
				return err
			}
			if ok {
				if errors.Is(f.Err(), rma.ErrPending) {
					return failf("TryPut succeeded while an earlier PutF was still queued")
				}
				break
			}
			if err := b.wait(ctx); err != nil {
				return failf("TryPut never succeeded: %v", err)
			}
		}
		if _, err := f.Wait(ctx); err != nil {
			return err
		}
	} else if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		for want := range uint64(capacity + 2) {
			m, err := tryTake(ctx, ch, nil)
			if err != nil {
				return err
			}
			if id, err := checkMessage(m, size); err != nil || id != want {
				return failf("took message %d (%v), want %d: a TryPut overtook a PutF", id, err, want)
			}
		}
		// Takes: a TakeF waits on the empty ring; a TryTakeAppend that
		// succeeds afterwards must find the TakeF done with the earlier
		// message.
		f := ch.TakeF()
		if _, ok, err := ch.TryTakeAppend(nil); err != nil || ok {
			return failf("TryTakeAppend with a TakeF queued on an empty ring: %v, %v", ok, err)
		}
		if err := tryPut(ctx, ch, message(100, size)); err != nil {
			return err
		}
		if err := tryPut(ctx, ch, message(101, size)); err != nil {
			return err
		}
		m, err := tryTake(ctx, ch, nil)
		if err != nil {
			return err
		}
		if errors.Is(f.Err(), rma.ErrPending) {
			return failf("TryTakeAppend took a message while a TakeF was still queued")
		}
		first, err := f.Wait(ctx)
		if err != nil {
			return err
		}
		if getID(first) != 100 || getID(m) != 101 {
			return failf("TakeF got %d and the later TryTakeAppend %d, want 100 then 101", getID(first), getID(m))
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// tryExactlyOnce: every rank runs producing goroutines that TryPut their
// share of total messages and a consumer that TryTakeAppends until
// ErrNoMore, all at once on one small ring. Every message must be taken
// exactly once, intact, and each consumer sees each producer in order.
func tryExactlyOnce(total int) Program {
	return func(ctx context.Context, w rma.World) error {
		const size, workers = 24, 2
		ch, err := rma.NewChannel(ctx, w, w.Size()/2, 8, size, rma.WithClaims(total))
		if err != nil {
			return err
		}
		counts, err := w.Allocate(ctx, 8*total*boolInt(w.Rank() == 0))
		if err != nil {
			return err
		}
		producers := w.Size() * workers
		var wg sync.WaitGroup
		errs := make(chan error, workers+1)
		for g := range workers {
			p := w.Rank()*workers + g
			wg.Go(func() {
				msg := make([]byte, size)
				for id := p; id < total; id += producers {
					fill(msg, uint64(id))
					if err := tryPut(ctx, ch, msg); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		var took, sum uint64
		wg.Go(func() {
			last := make([]int64, producers)
			for i := range last {
				last[i] = -1
			}
			buf := make([]byte, 0, size)
			for {
				m, err := tryTake(ctx, ch, buf[:0])
				if errors.Is(err, rma.ErrNoMore) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				id, err := checkMessage(m, size)
				if err != nil {
					errs <- err
					return
				}
				if id >= uint64(total) {
					errs <- failf("message id %d out of range", id)
					return
				}
				from := int(id) % producers
				if int64(id) <= last[from] {
					errs <- failf("from producer %d: message %d after %d", from, id, last[from])
					return
				}
				last[from] = int64(id)
				if _, err := counts.FetchAdd(0, 8*int(id), 1); err != nil {
					errs <- err
					return
				}
				took++
				sum += id
			}
		})
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
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
			if err := counts.Sync(); err != nil {
				return err
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
		return ch.Close(ctx)
	}
}
