package mailbox

import (
	"context"
	"fmt"
	"time"

	"github.com/rmactor/rmactor/rma"
)

// A rank's presence is what other ranks can see of its life, so that a
// request to a rank that will never answer fails instead of waiting for
// ever. Each rank's control window ends with a state word: stateOpen while
// it runs, stateClosed once Close has delivered what it owed (the replies
// to requests its actors had taken) and its actors will handle nothing
// more. A rank whose program returned without Close is seen through the
// world (rma.Departures).
const (
	stateOpen   = 0
	stateClosed = 1
)

// PresencePoll is how often a wait on another rank (here, and the actor
// layer's requests) looks whether that rank has closed or left.
const PresencePoll = 20 * time.Millisecond

// presenceOffset is where the state word lies in the control window.
func (r *Rank) presenceOffset() int { return (r.layout.maxRings + 1) * controlSlot }

// stagingStateBase is where the staging blocks' state words start in the
// control window, after the presence word and the wake-up words (wake.go).
func (l layout) stagingStateBase() int { return (l.maxRings + 3) * controlSlot }

// controlBytes is the size of a rank's control window: two words per
// token, the presence word, the wake-up words, then a state word per
// staging block.
func (l layout) controlBytes(cfg Config) int { return l.stagingStateBase() + 8*stagingBlocks(cfg) }

// PeerGone reports whether rank k has closed its actor system or left the
// world: nothing sent to it from now on will be handled.
func (r *Rank) PeerGone(k int) bool {
	if k < 0 || k >= r.world.Size() {
		return false
	}
	if d, ok := r.world.(rma.Departures); ok && d.Departed(k) {
		return true
	}
	v, err := r.ctl.Load(k, r.presenceOffset())
	return err == nil && v == stateClosed
}

// SettleInbox waits until this rank's poller has found its doorbell empty
// after the call began, so that every frame that reached this rank before
// the call (a reply a closing rank sent before it marked itself closed) has
// been delivered.
func (r *Rank) SettleInbox(ctx context.Context) error {
	start := r.emptyPolls.Load()
	var idle Idler
	for r.emptyPolls.Load() < start+2 {
		if r.closed.Load() || r.pollerGone.Load() {
			return nil
		}
		r.wakePoller(r.rank) // a sleeping poller would look only later
		if err := idle.Pause(ctx); err != nil {
			return fmt.Errorf("mailbox: waiting for the inbox: %w", err)
		}
	}
	return nil
}
