package mailbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

func TestClaimWordPacking(t *testing.T) {
	if claimCountMask != 1<<40-1 || claimGoverned != 1<<40 || claimIncShift != 41 || claimIncMask != 1<<23-1 {
		t.Fatalf("layout constants %#x %#x %d %#x", claimCountMask, claimGoverned, claimIncShift, claimIncMask)
	}
	if MaxClaims != 1<<40-1 {
		t.Fatalf("MaxClaims = %d", MaxClaims)
	}
	if w := claimWord(0, false, 0); w != 0 {
		t.Fatalf("empty word %#x", w)
	}
	if w := claimWord(claimIncMask, true, claimCountMask); w != math.MaxUint64 {
		t.Fatalf("full word %#x, want all ones", w)
	}
	for _, inc := range []uint32{0, 1, 7, 1<<23 - 1} {
		for _, gov := range []bool{false, true} {
			for _, count := range []uint64{0, 1, 12345, 1<<39 + 1, MaxClaims - 1, MaxClaims} {
				w := claimWord(inc, gov, count)
				if claimInc(w) != inc || claimIsGoverned(w) != gov || claimCount(w) != count {
					t.Fatalf("claimWord(%d, %v, %d) = %#x unpacks to (%d, %v, %d)",
						inc, gov, count, w, claimInc(w), claimIsGoverned(w), claimCount(w))
				}
			}
		}
	}
	// The incarnation is kept mod 2^23: the bits above never reach the word.
	for _, inc := range []uint32{1 << 23, 1<<23 + 5, math.MaxUint32} {
		w := claimWord(inc, true, 3)
		if claimInc(w) != inc&claimIncMask || claimCount(w) != 3 || !claimIsGoverned(w) {
			t.Fatalf("claimWord(%#x, true, 3) = %#x", inc, w)
		}
	}
	// A count beyond 40 bits is cut, never carried into the governed bit.
	if w := claimWord(5, false, MaxClaims+1); claimIsGoverned(w) || claimCount(w) != 0 || claimInc(w) != 5 {
		t.Fatalf("claimWord(5, false, 2^40) = %#x", w)
	}
	// Adding a count to the word (as addClaims does) only moves the count
	// while the total stays within MaxClaims.
	w := claimWord(9, true, MaxClaims-10)
	w += 10
	if claimInc(w) != 9 || !claimIsGoverned(w) || claimCount(w) != MaxClaims {
		t.Fatalf("word after adding up to MaxClaims: %#x", w)
	}
	// The control-window slots of two tokens never overlap.
	for tok := uint64(0); tok < 4; tok++ {
		if armedOffset(tok)%8 != 0 || claimsOffset(tok)%8 != 0 ||
			armedOffset(tok) == claimsOffset(tok) || claimsOffset(tok) >= armedOffset(tok+1) {
			t.Fatalf("token %d: armed at %d, claims at %d, next armed at %d", tok, armedOffset(tok), claimsOffset(tok), armedOffset(tok+1))
		}
	}
}

// runCtl runs fn on ranks in-process with a control window for tokens
// mailbox rings on rank 0 (the owner), like a Rank's.
func runCtl(t *testing.T, ranks, rings int, fn func(ctx context.Context, w rma.World, ctl rma.Window) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := local.Run(ctx, ranks, func(ctx context.Context, w rma.World) error {
		size := 0
		if w.Rank() == 0 {
			size = (rings + 1) * controlSlot
		}
		ctl, err := w.Allocate(ctx, size)
		if err != nil {
			return err
		}
		if err := fn(ctx, w, ctl); err != nil {
			return err
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return ctl.Free(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAddClaimsErrors: rank 0 owns the words; rank 1 adds claims remotely.
// Every refused claim leaves the word as it was.
func TestAddClaimsErrors(t *testing.T) {
	const index = 2
	off := claimsOffset(mailboxToken(index))
	runCtl(t, 2, 4, func(ctx context.Context, w rma.World, ctl rma.Window) error {
		// set is run by the owner between barriers; check by rank 1.
		step := func(set uint64, check func() error) error {
			if w.Rank() == 0 {
				if err := ctl.Store(0, off, set); err != nil {
					return err
				}
			}
			if err := w.Barrier(ctx); err != nil {
				return err
			}
			if w.Rank() == 1 {
				if err := check(); err != nil {
					return err
				}
			}
			return w.Barrier(ctx)
		}
		expect := func(what string, err, want error, word uint64) error {
			if !errors.Is(err, want) || (want == nil && err != nil) {
				return fmt.Errorf("%s: error %v, want %v", what, err, want)
			}
			got, lerr := ctl.Load(0, off)
			if lerr != nil {
				return lerr
			}
			if got != word {
				return fmt.Errorf("%s: word is %#x, want %#x", what, got, word)
			}
			return nil
		}
		a := Address{Index: index, Incarnation: 7}

		gov := claimWord(7, true, 10)
		if err := step(gov, func() error {
			if err := expect("add 5", addClaims(ctl, 0, a, 5), nil, claimWord(7, true, 15)); err != nil {
				return err
			}
			if err := expect("add 0", addClaims(ctl, 0, a, 0), nil, claimWord(7, true, 15)); err != nil {
				return err
			}
			if err := expect("stale", addClaims(ctl, 0, Address{Index: index, Incarnation: 6}, 1), ErrStale, claimWord(7, true, 15)); err != nil {
				return err
			}
			if err := expect("stale", addClaims(ctl, 0, Address{Index: index, Incarnation: 8}, 1), ErrStale, claimWord(7, true, 15)); err != nil {
				return err
			}
			// Another ring's word is another incarnation's (0 here).
			if err := expect("other ring", addClaims(ctl, 0, Address{Index: index + 1, Incarnation: 7}, 1), ErrStale, claimWord(7, true, 15)); err != nil {
				return err
			}
			if err := expect("negative", addClaims(ctl, 0, a, -1), rma.ErrNegativeClaim, claimWord(7, true, 15)); err != nil {
				return err
			}
			return expect("min int64", addClaims(ctl, 0, a, math.MinInt64), rma.ErrNegativeClaim, claimWord(7, true, 15))
		}); err != nil {
			return err
		}

		// Not governed: the actor was spawned without claims.
		if err := step(claimWord(7, false, 0), func() error {
			return expect("not governed", addClaims(ctl, 0, a, 1), ErrNotClaimed, claimWord(7, false, 0))
		}); err != nil {
			return err
		}
		// Stale wins over not governed: the retired word of an ended
		// incarnation (as release writes it) refuses with ErrStale.
		if err := step(claimWord(8, false, 0), func() error {
			return expect("retired", addClaims(ctl, 0, a, 1), ErrStale, claimWord(8, false, 0))
		}); err != nil {
			return err
		}

		// Overflow: up to MaxClaims is fine, one more is refused.
		if err := step(claimWord(7, true, MaxClaims-5), func() error {
			if err := expect("over by one", addClaims(ctl, 0, a, 6), ErrTooManyClaims, claimWord(7, true, MaxClaims-5)); err != nil {
				return err
			}
			if err := expect("max int64", addClaims(ctl, 0, a, math.MaxInt64), ErrTooManyClaims, claimWord(7, true, MaxClaims-5)); err != nil {
				return err
			}
			if err := expect("up to max", addClaims(ctl, 0, a, 5), nil, claimWord(7, true, MaxClaims)); err != nil {
				return err
			}
			if err := expect("at max", addClaims(ctl, 0, a, 1), ErrTooManyClaims, claimWord(7, true, MaxClaims)); err != nil {
				return err
			}
			return expect("0 at max", addClaims(ctl, 0, a, 0), nil, claimWord(7, true, MaxClaims))
		}); err != nil {
			return err
		}
		if err := step(claimWord(7, true, 0), func() error {
			return expect("MaxClaims at once", addClaims(ctl, 0, a, MaxClaims), nil, claimWord(7, true, MaxClaims))
		}); err != nil {
			return err
		}

		// Incarnations are compared mod 2^23, as documented: an address
		// 2^23 incarnations later reaches the same word.
		if err := step(claimWord(7, true, 0), func() error {
			return expect("inc + 2^23", addClaims(ctl, 0, Address{Index: index, Incarnation: 7 + 1<<23}, 2), nil, claimWord(7, true, 2))
		}); err != nil {
			return err
		}
		// Incarnation 0, index 0 (token 1): the low corner of the window.
		if w.Rank() == 0 {
			if err := ctl.Store(0, claimsOffset(mailboxToken(0)), claimWord(0, true, 0)); err != nil {
				return err
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 1 {
			if err := addClaims(ctl, 0, Address{}, 3); err != nil {
				return err
			}
			got, err := ctl.Load(0, claimsOffset(mailboxToken(0)))
			if err != nil {
				return err
			}
			if got != claimWord(0, true, 3) {
				return fmt.Errorf("ring 0's word %#x", got)
			}
			// The armed word of the same token is untouched.
			if armed, err := ctl.Load(0, armedOffset(mailboxToken(0))); err != nil || armed != 0 {
				return fmt.Errorf("armed word %d (%v) after adding claims", armed, err)
			}
		}
		return nil
	})
}

// TestAddClaimsConcurrent: goroutines of both ranks (the owner's included)
// add claims to the same word at once; the CAS loop loses none.
func TestAddClaimsConcurrent(t *testing.T) {
	const (
		index      = 1
		goroutines = 4
		adds       = 2000
	)
	off := claimsOffset(mailboxToken(index))
	a := Address{Index: index, Incarnation: 3}
	runCtl(t, 2, 2, func(ctx context.Context, w rma.World, ctl rma.Window) error {
		if w.Rank() == 0 {
			if err := ctl.Store(0, off, claimWord(3, true, 100)); err != nil {
				return err
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for g := range goroutines {
			wg.Go(func() {
				for i := range adds {
					// Interleave refused claims: they must not disturb the
					// count either.
					if i%100 == 0 {
						if err := addClaims(ctl, 0, Address{Index: index, Incarnation: 4}, 1); !errors.Is(err, ErrStale) {
							errs <- fmt.Errorf("stale claim: %v", err)
							return
						}
					}
					if err := addClaims(ctl, 0, a, int64(1+(g+i)%3)); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 0 {
			var perRank uint64
			for g := range goroutines {
				for i := range adds {
					perRank += uint64(1 + (g+i)%3)
				}
			}
			want := claimWord(3, true, 100+uint64(w.Size())*perRank)
			got, err := ctl.Load(0, off)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("word %#x (count %d), want %#x (count %d)", got, claimCount(got), want, claimCount(want))
			}
		}
		return nil
	})
}
