package mailbox

import "sync/atomic"

// counters are a rank's transport statistics. The high-water marks sit on
// a cache line of their own: they are read on every local post, while the
// traffic counters are written on every frame.
type counters struct {
	framesOut, messagesOut, bytesOut atomic.Uint64
	framesIn, messagesIn, bytesIn    atomic.Uint64
	badFrames                        atomic.Uint64
	wakeups                          atomic.Uint64 // wake-ups sent to sleeping ranks

	_         [64]byte
	queueHigh highWater // most user messages waiting in memory in one mailbox
	ringHigh  highWater // most frames seen waiting in one ring (sampled)

	// Large messages being assembled on this rank (bytes allocated for
	// envelopes whose chunks are still arriving), now and at most.
	assembling     atomic.Int64
	assemblingHigh highWater
	stagedHigh     highWater // most staging blocks lent at once
}

// received counts one frame taken from a ring or the inbox.
func (c *counters) received(frame []byte, entries int) {
	c.framesIn.Add(1)
	c.messagesIn.Add(uint64(entries))
	c.bytesIn.Add(uint64(len(frame)))
}

// highWater is a maximum that only rises.
type highWater struct{ v atomic.Int64 }

// raise makes the mark at least n. It writes only when n is a new maximum,
// so a steady state costs one load.
func (h *highWater) raise(n int64) {
	for {
		cur := h.v.Load()
		if n <= cur || h.v.CompareAndSwap(cur, n) {
			return
		}
	}
}

func (h *highWater) load() int64 { return h.v.Load() }

// ringSampleEvery is how often, in frames taken, a ring's backlog is read
// for the high-water mark: reading it costs three window loads, which on
// the one-sided path are MPI calls.
const ringSampleEvery = 8
