package mailbox

import (
	"fmt"

	"github.com/rmactor/rmactor/rma"
)

// Claims protocol. Each mailbox has one claims word in the owner's control
// window:
//
//	bits 63..41  incarnation mod 2^23: which actor the claims belong to
//	bit  40      governed: the actor was spawned with claims
//	bits 39..0   claimed message count
//
// The owner writes the word when it binds a new incarnation. Any rank adds
// claims with a compare-and-swap loop that first checks the incarnation, so a
// claim meant for a stopped actor can never be credited to the next actor
// using the same ring: it fails with ErrStale instead. The owner compares its
// count of processed messages with the word after each message and stops the
// actor when they are equal.
const (
	claimCountBits = 40
	claimCountMask = 1<<claimCountBits - 1
	claimGoverned  = 1 << claimCountBits
	claimIncShift  = claimCountBits + 1
	claimIncMask   = 1<<(64-claimIncShift) - 1

	// MaxClaims is the largest total of claims one actor may have.
	MaxClaims = claimCountMask
)

func claimWord(inc uint32, governed bool, count uint64) uint64 {
	w := uint64(inc)&claimIncMask<<claimIncShift | count&claimCountMask
	if governed {
		w |= claimGoverned
	}
	return w
}

func claimInc(w uint64) uint32      { return uint32(w >> claimIncShift & claimIncMask) }
func claimCount(w uint64) uint64    { return w & claimCountMask }
func claimIsGoverned(w uint64) bool { return w&claimGoverned != 0 }

// control-window layout: one 16-byte slot per doorbell token (the inbox is
// token 0, mailbox i is token i+1).
const (
	controlSlot   = 16
	controlArmed  = 0
	controlClaims = 8
)

func armedOffset(token uint64) int  { return int(token)*controlSlot + controlArmed }
func claimsOffset(token uint64) int { return int(token)*controlSlot + controlClaims }

// addClaims adds n claims to the mailbox at a on rank owner through win.
func addClaims(win rma.Window, owner int, a Address, n int64) error {
	if n < 0 {
		return fmt.Errorf("%w: AddClaims(%d)", rma.ErrNegativeClaim, n)
	}
	off := claimsOffset(mailboxToken(a.Index))
	w, err := win.Load(owner, off)
	if err != nil {
		return err
	}
	for {
		if claimInc(w) != a.Incarnation&claimIncMask {
			return fmt.Errorf("%w: claims for rank %d mailbox %s", ErrStale, owner, a)
		}
		if !claimIsGoverned(w) {
			return fmt.Errorf("%w: rank %d mailbox %s", ErrNotClaimed, owner, a)
		}
		if uint64(n) > MaxClaims-claimCount(w) {
			return fmt.Errorf("%w: %d + %d", ErrTooManyClaims, claimCount(w), n)
		}
		prev, err := win.CompareAndSwap(owner, off, w, w+uint64(n))
		if err != nil {
			return err
		}
		if prev == w {
			return nil
		}
		w = prev
	}
}
