package rmatest

import (
	"context"
	"errors"
	"runtime"

	"github.com/rmactor/rmactor/rma"
)

func claimCases() []testCase {
	return []testCase{
		{name: "Claims/NoMoreExactlyAfterClaimedCount", ranks: 2, min: 2, prog: func(Config) Program { return noMoreExactly }},
		{name: "Claims/ClaimAfterDrainReopens", ranks: 2, min: 2, prog: func(Config) Program { return claimAfterDrain }},
		{name: "Claims/TakeBeforeFirstClaimWaits", ranks: 4, min: 2, prog: func(Config) Program { return takeBeforeFirstClaim }},
		{name: "Claims/ConcurrentClaimsAndTakesLoseNothing", ranks: 4, min: 2, prog: func(Config) Program { return concurrentClaimsAndTakes }},
		{name: "Claims/CountersNear2To62", ranks: 2, min: 2, prog: func(Config) Program { return countersNear(1<<62-5, 4) }},
		{name: "Claims/CountersWrap2To64", ranks: 2, min: 2, prog: func(Config) Program { return countersNear(1<<64-1000, 4) }},
		{name: "Claims/CountersWrap2To64OddCapacity", ranks: 2, min: 2, prog: func(Config) Program { return countersNear(1<<64-1000, 3) }},
		{name: "Claims/UntakenReportedAtClose", ranks: 2, min: 2, prog: func(Config) Program { return untakenAtClose }},
	}
}

func noMoreExactly(ctx context.Context, w rma.World) error {
	const n = 10
	// The non-owner claims: claims from any rank count.
	ch, err := rma.NewChannel(ctx, w, 0, 16, 8)
	if err != nil {
		return err
	}
	if w.Rank() == 1 {
		if err := ch.Claim(n); err != nil {
			return err
		}
		for i := range n + 2 { // two beyond the claims
			if err := ch.Put(ctx, message(uint64(i), 8)); err != nil {
				return err
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		for i := range n {
			if _, err := ch.Take(ctx); err != nil {
				return failf("take %d of %d claimed: %v", i+1, n, err)
			}
		}
		for range 3 {
			if _, err := ch.Take(ctx); !errors.Is(err, rma.ErrNoMore) {
				return failf("take beyond the claims: %v, want ErrNoMore", err)
			}
			if err := ch.TakeF().Err(); !errors.Is(err, rma.ErrNoMore) {
				return failf("takef beyond the claims: %v, want ErrNoMore", err)
			}
		}
		s, err := ch.Stats()
		if err != nil {
			return err
		}
		if s.Taken != n || s.Len() != 2 {
			return failf("stats %+v: want %d taken and 2 left", s, n)
		}
		// Claim the two stranded messages so that Close finds none.
		if err := ch.Claim(2); err != nil {
			return err
		}
		if got, err := takeAll(ctx, ch); err != nil || len(got) != 2 {
			return failf("took %d after claiming 2 more (%v)", len(got), err)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

func claimAfterDrain(ctx context.Context, w rma.World) error {
	ch, err := rma.NewChannel(ctx, w, 0, 4, 8, rma.WithClaims(3))
	if err != nil {
		return err
	}
	for round := range 3 {
		if w.Rank() == 1 {
			for i := range 3 {
				if err := ch.Put(ctx, message(uint64(round*3+i), 8)); err != nil {
					return err
				}
			}
		}
		if w.Rank() == 0 {
			got, err := takeAll(ctx, ch)
			if err != nil {
				return err
			}
			if len(got) != 3 {
				return failf("round %d: took %d, want 3", round, len(got))
			}
			if id, _ := checkMessage(got[0], 8); id != uint64(round*3) {
				return failf("round %d: first message %d", round, id)
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		// The drained channel is re-opened by a claim from the non-owner.
		if w.Rank() == 1 && round < 2 {
			if err := ch.Claim(3); err != nil {
				return err
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
	}
	return ch.Close(ctx)
}

// takeBeforeFirstClaim: the seed's start-up race. Consumers start taking
// before anyone has claimed; a non-owner producer claims later. Every
// message is still received.
func takeBeforeFirstClaim(ctx context.Context, w rma.World) error {
	const n = 500
	producer := w.Size() - 1
	ch, err := rma.NewChannel(ctx, w, 0, 8, 8)
	if err != nil {
		return err
	}
	taken := uint64(0)
	if w.Rank() == producer {
		for i := range n {
			if i == n/2 {
				// Claims may also come after some puts: they just become
				// takeable then.
				if err := ch.Claim(n); err != nil {
					return err
				}
			}
			if i < n/2 && i >= 8 {
				continue // first fill the ring before the claim exists
			}
			if err := ch.Put(ctx, message(uint64(i), 8)); err != nil {
				return err
			}
		}
		for i := 8; i < n/2; i++ {
			if err := ch.Put(ctx, message(uint64(i), 8)); err != nil {
				return err
			}
		}
	} else {
		got, err := takeAll(ctx, ch)
		if err != nil {
			return err
		}
		taken = uint64(len(got))
	}
	sums, err := sumToRoot(ctx, w, []uint64{taken})
	if err != nil {
		return err
	}
	if w.Rank() == 0 && sums[0] != n {
		return failf("consumers took %d messages, want %d", sums[0], n)
	}
	return ch.Close(ctx)
}

// concurrentClaimsAndTakes: producers claim one message at a time just
// before putting it, while consumers take concurrently and see ErrNoMore
// often. Consumers retry until every producer is done; nothing is lost.
func concurrentClaimsAndTakes(ctx context.Context, w rma.World) error {
	const per = 3000
	producers := w.Size() / 2
	ch, err := rma.NewChannel(ctx, w, w.Size()-1, 4, 8, rma.WithClaims(0))
	if err != nil {
		return err
	}
	// A done counter on rank 0: producers add 1 when finished.
	done, err := w.Allocate(ctx, 8*boolInt(w.Rank() == 0))
	if err != nil {
		return err
	}
	ids := make([]uint64, 0)
	if w.Rank() < producers {
		for i := range per {
			if err := ch.Claim(1); err != nil {
				return err
			}
			if err := ch.Put(ctx, message(uint64(w.Rank()*per+i), 8)); err != nil {
				return err
			}
		}
		if _, err := done.FetchAdd(0, 0, 1); err != nil {
			return err
		}
	} else {
		for {
			msg, err := ch.Take(ctx)
			if errors.Is(err, rma.ErrNoMore) {
				finished, err := done.Load(0, 0)
				if err != nil {
					return err
				}
				if finished == uint64(producers) {
					// Every claim was made before the counter rose, so
					// no-more now means every message was taken.
					if _, err := ch.Stats(); err != nil {
						return err
					}
					msg, err = ch.Take(ctx)
					if errors.Is(err, rma.ErrNoMore) {
						break
					}
				} else {
					if err := ctx.Err(); err != nil {
						return err
					}
					runtime.Gosched()
					continue
				}
			}
			if err != nil {
				return err
			}
			id, err := checkMessage(msg, 8)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
	}
	total := producers * per
	counts := make([]uint64, total)
	for _, id := range ids {
		if id >= uint64(total) {
			return failf("message id %d out of range", id)
		}
		counts[id]++
	}
	sums, err := sumToRoot(ctx, w, counts)
	if err != nil {
		return err
	}
	for id, c := range sums {
		if c != 1 {
			return failf("message %d taken %d times", id, c)
		}
	}
	if err := done.Free(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// countersNear starts the tickets at start and runs many wraps of a small
// ring's index, crossing 2^64 when start is close to it.
func countersNear(start uint64, capacity int) Program {
	return func(ctx context.Context, w rma.World) error {
		const n = 20000
		ch, err := rma.NewChannel(ctx, w, 0, capacity, 8, rma.WithClaims(n), rma.WithStartTicket(start))
		if err != nil {
			return err
		}
		if w.Rank() == 1 {
			for i := range n {
				if err := ch.Put(ctx, message(uint64(i), 8)); err != nil {
					return err
				}
			}
		}
		if w.Rank() == 0 {
			for i := range n {
				m, err := ch.Take(ctx)
				if err != nil {
					return failf("take %d: %v", i, err)
				}
				if id, err := checkMessage(m, 8); err != nil || id != uint64(i) {
					return failf("message %d has id %d (%v)", i, id, err)
				}
			}
			if _, err := ch.Take(ctx); !errors.Is(err, rma.ErrNoMore) {
				return failf("take after %d: %v, want ErrNoMore", n, err)
			}
			if s, err := ch.Stats(); err != nil || s != (rma.Stats{Put: n, Taken: n, Claimed: n}) {
				return failf("stats %+v, %v", s, err)
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return ch.Close(ctx)
	}
}

func untakenAtClose(ctx context.Context, w rma.World) error {
	ch, err := rma.NewChannel(ctx, w, 0, 4, 8, rma.WithClaims(1))
	if err != nil {
		return err
	}
	if w.Rank() == 1 {
		for i := range 3 {
			if err := ch.Put(ctx, message(uint64(i), 8)); err != nil {
				return err
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		if _, err := ch.Take(ctx); err != nil {
			return err
		}
	}
	err = ch.Close(ctx)
	if w.Rank() == 0 {
		return expectErr("owner closing with 2 messages beyond the claims", err, rma.ErrUntaken)
	}
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
