package mailbox

import (
	"cmp"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rmactor/rmactor/internal/wakeline"
	"github.com/rmactor/rmactor/rma"
)

// Wake-up protocol. A rank's poller and flusher poll for work and, once
// there has been none for a while, sleep (Idler). A timer sleep ends a
// millisecond late once a process is idle, and the work that ends it
// comes from other ranks: a doorbell token for the poller, a staging block
// released by a receiver for the flusher. So on one machine (windows in
// shared memory, rma.SharedMemory) each of them sleeps on a wake-up line
// (internal/wakeline) instead, and the rank that brings the work wakes it.
// All of the protocol is in this file.
//
// Each rank's control window holds a sleep word for its poller and one for
// its flusher, and the id of its lines (0: it has none; others never wake
// it). The sleeper, once its Idler says to sleep:
//
//	drain its line; store sleep = asleep
//	look for work once more (the doorbell's length; a flush)
//	if none: sleep on the line (the poller at most 20 ms, the flusher
//	at most the Idler's pause)
//	store sleep = awake
//
// The waker, after making the work visible (committing the doorbell
// token; storing a block's release tag):
//
//	if load(sleep) == asleep and CAS(sleep, asleep, awake) succeeds: wake the line
//
// No wake-up is lost: stores, loads and CAS on the words are sequentially
// consistent, so either the sleeper's second look comes after the work
// became visible and sees it, or the waker's load comes after the sleeper's
// store and sees asleep, and then one waker (the CAS winner) sends the
// line a byte, which ends the sleep whether it arrives before or during it.
// A stale byte (the sleeper found the work itself) only shortens a later
// sleep, after the drain at most one. A bound on every sleep makes a lost
// wake-up cost a delay, never a hang; a rank whose lines failed to open
// polls with timers as before. The flusher also waits for ring slots,
// which nobody wakes it for, so its sleeps stay as short as the Idler's.
const (
	awake  = 0
	asleep = 1

	rolePoller  = "p"
	roleFlusher = "f"
)

// Control-window words of the protocol, after the presence word.
func (l layout) pollerSleepOffset() int  { return (l.maxRings+1)*controlSlot + 8 }
func (l layout) flusherSleepOffset() int { return (l.maxRings + 2) * controlSlot }
func (l layout) wakeIDOffset() int       { return (l.maxRings+2)*controlSlot + 8 }

// wakeups is a rank's side of the protocol.
type wakeups struct {
	closeOnce sync.Once
	id        uint64   // this rank's lines, 0 if none
	ids       []uint64 // every rank's, read once all have opened theirs
	poller    *wakeline.Line
	flusher   *wakeline.Line
	waker     *wakeline.Waker
	// pollerNap bounds a poller's sleep: every piece of work a poller
	// does arrives through its doorbell, whose ringer wakes it, so the
	// bound only limits the cost of a lost wake-up.
	pollerNap time.Duration
}

// pollerNapMax is wakeups.pollerNap's default.
const pollerNapMax = 20 * time.Millisecond

// openWakeups opens this rank's lines and publishes their id in its control
// window; the caller then meets the other ranks in a barrier and calls
// learnWakeups. Without shared memory, with Wakeups off, or if a line
// cannot be opened, the rank has no lines: it polls as before, and others
// wake it never.
func (r *Rank) openWakeups() error {
	if sm, ok := r.ctl.(rma.SharedMemory); !r.cfg.Wakeups || !ok || !sm.SharedMemory() {
		return nil
	}
	w := &r.wake
	id := rand.Uint64() | 1
	var err error
	if w.poller, err = wakeline.Open(id, rolePoller); err == nil {
		if w.flusher, err = wakeline.Open(id, roleFlusher); err == nil {
			w.waker, err = wakeline.NewWaker()
		}
	}
	if err != nil {
		r.cfg.Logger.Debug("mailbox: no wake-up lines; idle ranks poll", zapErr(err))
		r.closeWakeups()
		r.wake = wakeups{}
		return nil
	}
	w.id, w.pollerNap = id, cmp.Or(r.cfg.pollerNap, pollerNapMax)
	return r.ctl.Store(r.rank, r.layout.wakeIDOffset(), id)
}

// learnWakeups reads every rank's line id.
func (r *Rank) learnWakeups() error {
	if r.wake.id == 0 {
		return nil // this rank wakes nobody either: it has no waker
	}
	ids := make([]uint64, r.world.Size())
	for k := range ids {
		var err error
		if ids[k], err = r.ctl.Load(k, r.layout.wakeIDOffset()); err != nil {
			return err
		}
	}
	r.wake.ids = ids
	return nil
}

// closeWakeups closes this rank's lines and waker. Call it only once
// nothing of the rank can nap or wake any more (its poller, flusher and
// mailboxes have stopped), or before they started.
// Later calls do nothing (Abort may follow Close).
func (r *Rank) closeWakeups() {
	w := &r.wake
	w.closeOnce.Do(func() {
		for _, l := range []*wakeline.Line{w.poller, w.flusher} {
			if l != nil {
				_ = l.Close()
			}
		}
		if w.waker != nil {
			_ = w.waker.Close()
		}
	})
}

// nap is the sleep of the poller or the flusher: line, its sleep word, and
// busy, which looks for work once more after the sleep is announced.
func (r *Rank) nap(line *wakeline.Line, word int, d time.Duration, busy func() bool) {
	line.Drain()
	if err := r.ctl.Store(r.rank, word, asleep); err != nil {
		return
	}
	if !busy() {
		line.Sleep(d)
	}
	_ = r.ctl.Store(r.rank, word, awake)
}

// pollerNap is the poller's sleep, if this rank has lines (nil otherwise).
func (r *Rank) pollerNap() func(time.Duration) {
	if r.wake.id == 0 {
		return nil
	}
	busy := func() bool {
		st, err := r.bell.Stats()
		return err != nil || st.Len() > 0
	}
	return func(time.Duration) { r.nap(r.wake.poller, r.layout.pollerSleepOffset(), r.wake.pollerNap, busy) }
}

// flusherNap is the flusher's sleep, if this rank has lines.
func (r *Rank) flusherNap() func(time.Duration) {
	if r.wake.id == 0 {
		return nil
	}
	busy := func() bool {
		left, moved := r.flushDirty()
		return moved || left == 0
	}
	return func(d time.Duration) { r.nap(r.wake.flusher, r.layout.flusherSleepOffset(), d, busy) }
}

// wakePoller wakes rank k's poller if it sleeps: call it after committing
// a doorbell token to k.
func (r *Rank) wakePoller(k int) { r.wakeUp(k, r.layout.pollerSleepOffset(), rolePoller) }

// wakeFlusher wakes rank k's flusher if it sleeps: call it after releasing
// a block of k's staging window.
func (r *Rank) wakeFlusher(k int) { r.wakeUp(k, r.layout.flusherSleepOffset(), roleFlusher) }

func (r *Rank) wakeUp(k, word int, role string) {
	w := &r.wake
	if w.ids == nil || w.ids[k] == 0 {
		return
	}
	if v, err := r.ctl.Load(k, word); err != nil || v != asleep {
		return
	}
	if prev, err := r.ctl.CompareAndSwap(k, word, asleep, awake); err != nil || prev != asleep {
		return
	}
	if err := w.waker.Wake(w.ids[k], role); err != nil {
		r.cfg.Logger.Warn("mailbox: wake-up", zapErr(err))
		return
	}
	r.stats.wakeups.Add(1)
}

// wakeSelf ends this rank's own naps at once (the rank is stopping).
func (r *Rank) wakeSelf() {
	w := &r.wake
	if w.id == 0 {
		return
	}
	_ = w.waker.Wake(w.id, rolePoller)
	_ = w.waker.Wake(w.id, roleFlusher)
}
