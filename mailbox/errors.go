package mailbox

import "errors"

// Sentinel errors; every error of this package wraps one of them or an rma
// error, so callers can use errors.Is.
var (
	// ErrBadFrame reports ring bytes that are not a well-formed frame.
	ErrBadFrame = errors.New("mailbox: malformed frame")
	// ErrBadAddress reports a mailbox id that does not parse or names a
	// mailbox outside the rank's pool.
	ErrBadAddress = errors.New("mailbox: bad mailbox address")
	// ErrStale reports a message or claim for a mailbox incarnation that has
	// ended: its actor stopped and the ring may serve another actor now.
	ErrStale = errors.New("mailbox: mailbox incarnation has ended")
	// ErrNotClaimed reports claims added to an actor spawned without claims.
	ErrNotClaimed = errors.New("mailbox: actor was not spawned with claims")
	// ErrTooManyClaims reports claims that would pass the 40-bit bound.
	ErrTooManyClaims = errors.New("mailbox: claims exceed 2^40-1")
	// ErrPoolExhausted reports that the rank's arena has no room for
	// another mailbox ring.
	ErrPoolExhausted = errors.New("mailbox: no room for another mailbox")
	// ErrMessageTooLarge reports a message whose envelope is larger than
	// the configured maximum (Config.MaxMessageBytes, 256 MiB by default).
	// Nothing was sent.
	ErrMessageTooLarge = errors.New("mailbox: message larger than the maximum message size")
	// ErrMailboxFull reports a sender that stopped waiting (its context
	// ended) while a mailbox stayed full. The message it was sending is
	// queued and will be delivered; it is the wait for room that failed.
	ErrMailboxFull = errors.New("mailbox: mailbox full")
	// ErrRankClosed reports a wait on another rank that has closed its
	// mailboxes or left the world: nothing sent to it will be taken.
	ErrRankClosed = errors.New("mailbox: target rank has closed")
	// ErrClosed reports use of a rank's mailboxes after Close.
	ErrClosed = errors.New("mailbox: rank closed")
)
