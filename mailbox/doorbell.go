package mailbox

import (
	"encoding/binary"
	"fmt"

	"github.com/rmactor/rmactor/rma"
)

// Doorbell protocol. A one-sided put does not call into the owner, so every
// rank has a doorbell: a RemoteChannel of 8-byte tokens (the inbox is token
// 0, mailbox ring i is token i+1) plus one armed word per token in the
// owner's control window. All of the protocol is in this file.
//
// Sender, after committing a frame to the ring of token k:
//
//	if CAS(armed[k], 0, 1) succeeds: put k into the doorbell
//
// Owner's poller, for each token k it takes from the doorbell:
//
//	store armed[k] = 0, then mark k's ring ready and let its consumer drain it
//
// and the consumer, while the ring is marked ready, clears the mark before
// each take attempt and sets it again when the take found a frame.
//
// No wake-up is lost: a sender whose CAS fails saw armed[k] = 1 after its
// commit, so token k is in the doorbell and not yet disarmed; the poller
// disarms after that point and the drain that follows comes later still, so
// it sees the commit. A sender whose CAS succeeds puts the token itself.
// Each token is in the doorbell at most once (only the 0→1 CAS puts it, and
// only the poller, after taking it, resets the word), so a doorbell with one
// slot per token is never full and ringing never waits. docs/protocol.md has
// the longer argument.

// ring tells rank owner that the ring of token tok has a new frame, and
// reports whether it put the token (rather than finding it there already):
// the caller then wakes owner's poller (wake.go).
func ring(ctl rma.Window, bell *rma.Channel, owner int, tok uint64) (bool, error) {
	prev, err := ctl.CompareAndSwap(owner, armedOffset(tok), 0, 1)
	if err != nil {
		return false, fmt.Errorf("mailbox: doorbell of rank %d: %w", owner, err)
	}
	if prev != 0 {
		return false, nil
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], tok)
	ok, err := bell.TryPut(b[:])
	if err != nil {
		return false, fmt.Errorf("mailbox: doorbell of rank %d: %w", owner, err)
	}
	if !ok {
		return false, fmt.Errorf("%w: doorbell of rank %d full: token %d armed twice", rma.ErrCorrupt, owner, tok)
	}
	return true, nil
}

// answer is the poller's half: it takes the next token, if any, and disarms
// it. The caller must then mark the token's ring ready.
func answer(ctl rma.Window, bell *rma.Channel, self int, tokens uint64, buf []byte) (tok uint64, ok bool, err error) {
	msg, ok, err := bell.TryTakeAppend(buf[:0])
	if err != nil || !ok {
		return 0, false, err
	}
	if len(msg) != 8 {
		return 0, false, fmt.Errorf("%w: doorbell token of %d bytes", rma.ErrCorrupt, len(msg))
	}
	tok = binary.LittleEndian.Uint64(msg)
	if tok >= tokens {
		return 0, false, fmt.Errorf("%w: doorbell token %d of %d", rma.ErrCorrupt, tok, tokens)
	}
	if err := ctl.Store(self, armedOffset(tok), 0); err != nil {
		return 0, false, fmt.Errorf("mailbox: disarm token %d: %w", tok, err)
	}
	return tok, true, nil
}

func mailboxToken(index int) uint64 { return uint64(index) + 1 }

const inboxToken = 0
