package mailbox

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// The doorbell stress test runs the protocol of doorbell.go on its own, with
// nothing of a Rank around it: producer ranks commit messages into rings of
// rank 0 and call ring; rank 0's poller calls answer and marks the token's
// ring ready, and one consumer per ring drains it by the documented rule. At
// the end every committed message must have been taken, or a wake-up was
// lost.
//
// The end is detected exactly, with no timing: each producer counts itself
// done in a window word after its last ring call; the poller, having seen
// every producer done, answers until the doorbell is empty, and only then
// tells the consumers to finish. No token can enter the doorbell after that,
// so what the consumers have taken when they finish is all the protocol will
// ever deliver; what is left in the rings was lost.

// doorbellRule is the protocol under test: the documented one, or one of the
// broken orders the subtests use to show that the test catches lost
// wake-ups.
type doorbellRule int

const (
	// ruleDocumented: the poller disarms in answer before marking the ring
	// ready; the consumer clears the mark before each take and sets it again
	// when the take found a message.
	ruleDocumented doorbellRule = iota
	// ruleDisarmAfterDrain: the poller takes tokens without disarming them,
	// and the consumer disarms once it found the ring empty. A commit that
	// lands between that empty take and the disarm sees the token armed, so
	// nobody rings for it.
	ruleDisarmAfterDrain
	// ruleClearAfterTake: the consumer clears the ready mark after a take
	// found nothing, instead of before each take. A commit, ring and answer
	// between that take and the clear set a mark the clear then wipes out.
	ruleClearAfterTake
)

func (r doorbellRule) String() string {
	return [...]string{"documented", "disarm after drain", "clear mark after take"}[r]
}

type doorbellParams struct {
	ranks     int // rank 0 consumes, the others produce
	workers   int // producing goroutines per rank
	perWorker int // messages each producing goroutine commits
	rings     int // mailbox rings of rank 0 (tokens 1..rings)
	capacity  int // slots per ring
	rule      doorbellRule
}

type doorbellResult struct {
	sent, received int
	left           int   // messages still in the rings at the end: lost wake-ups
	ringErrs       int   // ring calls that failed (a token armed twice)
	err            error // a protocol-independent failure (corrupt message, rma error)
}

func (r doorbellResult) lost() bool { return r.left > 0 || r.received < r.sent || r.ringErrs > 0 }

// doorbellMessage is (rank, worker, sequence, ring) as four uint32s.
const doorbellMessageSize = 16

// jitter yields the processor now and then, so that every interleaving of
// the protocol's steps gets a chance, the narrow ones included.
func jitter() {
	if rand.IntN(3) == 0 {
		runtime.Gosched()
	}
}

func runDoorbell(ctx context.Context, p doorbellParams) (doorbellResult, error) {
	var res doorbellResult // written by rank 0 only
	err := local.Run(ctx, p.ranks, func(ctx context.Context, w rma.World) error {
		ctlBytes, doneBytes := 0, 0
		if w.Rank() == 0 {
			ctlBytes, doneBytes = (p.rings+1)*controlSlot, 8
		}
		ctl, err := w.Allocate(ctx, ctlBytes)
		if err != nil {
			return err
		}
		done, err := w.Allocate(ctx, doneBytes)
		if err != nil {
			return err
		}
		// One slot per token, as a Rank's doorbell: ring must never find it
		// full.
		bell, err := rma.NewChannel(ctx, w, 0, p.rings+1, 8, rma.WithClaims(rma.MaxClaim))
		if err != nil {
			return err
		}
		rings := make([]*rma.Channel, p.rings)
		for i := range rings {
			if rings[i], err = rma.NewChannel(ctx, w, 0, p.capacity, doorbellMessageSize, rma.WithClaims(rma.MaxClaim)); err != nil {
				return err
			}
		}
		if w.Rank() == 0 {
			res = consumeDoorbell(ctx, w, p, ctl, done, bell, rings)
			if res.err != nil {
				return res.err
			}
		} else if err := produceDoorbell(ctx, w, p, ctl, done, bell, rings); err != nil {
			return err
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		errs := []error{bell.Close(ctx)}
		for _, ch := range rings {
			errs = append(errs, ch.Close(ctx))
		}
		errs = append(errs, done.Free(ctx), ctl.Free(ctx))
		return errors.Join(errs...)
	})
	return res, err
}

// produceDoorbell is one producer rank: each worker commits its messages
// round-robin into the rings, waiting (without sleeping) while a ring is
// full, and rings the doorbell after each commit.
func produceDoorbell(ctx context.Context, w rma.World, p doorbellParams, ctl, done rma.Window, bell *rma.Channel, rings []*rma.Channel) error {
	var wg sync.WaitGroup
	errs := make(chan error, p.workers)
	var ringErrs atomic.Int64
	for g := range p.workers {
		wg.Go(func() {
			msg := make([]byte, doorbellMessageSize)
			for i := range p.perWorker {
				idx := (i + g + w.Rank()) % p.rings
				binary.LittleEndian.PutUint32(msg[0:], uint32(w.Rank()))
				binary.LittleEndian.PutUint32(msg[4:], uint32(g))
				binary.LittleEndian.PutUint32(msg[8:], uint32(i))
				binary.LittleEndian.PutUint32(msg[12:], uint32(idx))
				for {
					ok, err := rings[idx].TryPut(msg)
					if err != nil {
						errs <- err
						return
					}
					if ok {
						break
					}
					if err := ctx.Err(); err != nil {
						errs <- fmt.Errorf("rank %d worker %d: ring %d stayed full: %w", w.Rank(), g, idx, err)
						return
					}
					runtime.Gosched()
				}
				jitter()
				if _, err := ring(ctl, bell, 0, mailboxToken(idx)); err != nil {
					if p.rule == ruleDocumented || !errors.Is(err, rma.ErrCorrupt) {
						errs <- err
						return
					}
					// A broken rule can arm a token twice and overfill the
					// doorbell: count it as a lost wake-up.
					ringErrs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	// Report the ring errors to rank 0 in the high half of the done word.
	_, err := done.FetchAdd(0, 0, 1+uint64(ringErrs.Load())<<32)
	return err
}

// consumeDoorbell is rank 0: the poller and one consumer per ring.
func consumeDoorbell(ctx context.Context, w rma.World, p doorbellParams, ctl, done rma.Window, bell *rma.Channel, rings []*rma.Channel) doorbellResult {
	producers := w.Size() - 1
	res := doorbellResult{sent: producers * p.workers * p.perWorker}
	ready := make([]atomic.Bool, p.rings)
	notify := make([]chan struct{}, p.rings)
	final := make(chan struct{})
	received := make([]int, p.rings)
	errs := make([]error, p.rings)
	var wg sync.WaitGroup
	for idx := range rings {
		notify[idx] = make(chan struct{}, 1)
		wg.Go(func() {
			c := doorbellConsumer{p: p, idx: idx, ring: rings[idx], ctl: ctl, ready: &ready[idx],
				next: map[[2]uint32]uint32{}}
			defer func() { received[idx], errs[idx] = c.received, c.err }()
			for c.err == nil {
				select {
				case <-notify[idx]:
					c.drain()
				case <-final:
					select {
					case <-notify[idx]:
						c.drain()
					default:
					}
					return
				}
			}
		})
	}

	// The poller.
	var buf [8]byte
	allDone := false
	for {
		var tok uint64
		var ok bool
		var err error
		if p.rule == ruleDisarmAfterDrain {
			var msg []byte
			msg, ok, err = bell.TryTakeAppend(buf[:0])
			if ok {
				tok = binary.LittleEndian.Uint64(msg)
			}
		} else {
			tok, ok, err = answer(ctl, bell, 0, 1<<20, buf[:])
		}
		if err != nil {
			res.err = err
			break
		}
		if ok {
			idx := int(tok) - 1
			if idx < 0 || idx >= p.rings {
				res.err = fmt.Errorf("doorbell token %d names no ring", tok)
				break
			}
			jitter()
			ready[idx].Store(true)
			select {
			case notify[idx] <- struct{}{}:
			default:
			}
			continue
		}
		if allDone {
			break // the doorbell is empty and no producer will ring again
		}
		d, err := done.Load(0, 0)
		if err != nil {
			res.err = err
			break
		}
		if int(d&(1<<32-1)) == producers {
			allDone = true
			res.ringErrs = int(d >> 32)
			continue // answer until the doorbell is empty
		}
		if err := ctx.Err(); err != nil {
			res.err = fmt.Errorf("poller: producers not done: %w", err)
			break
		}
		runtime.Gosched()
	}
	close(final)
	wg.Wait()
	for idx := range rings {
		res.received += received[idx]
		if res.err == nil {
			res.err = errs[idx]
		}
	}
	// Whatever is still in the rings was committed and never taken. Take it,
	// so that the rings close clean.
	var msg []byte
	for _, ch := range rings {
		for {
			var ok bool
			var err error
			msg, ok, err = ch.TryTakeAppend(msg[:0])
			if err != nil && res.err == nil {
				res.err = err
			}
			if !ok {
				break
			}
			res.left++
		}
	}
	if res.err == nil && res.received+res.left != res.sent {
		res.err = fmt.Errorf("sent %d, received %d, %d left in the rings", res.sent, res.received, res.left)
	}
	return res
}

// doorbellConsumer drains one ring whenever it is notified.
type doorbellConsumer struct {
	p        doorbellParams
	idx      int
	ring     *rma.Channel
	ctl      rma.Window
	ready    *atomic.Bool
	buf      []byte
	next     map[[2]uint32]uint32 // (rank, worker) → next sequence number
	received int
	err      error
}

func (c *doorbellConsumer) drain() {
	switch c.p.rule {
	case ruleClearAfterTake:
		for c.ready.Load() && c.err == nil {
			if c.take() {
				continue
			}
			jitter()
			c.ready.Store(false)
		}
	default:
		// The documented rule.
		for c.ready.Load() && c.err == nil {
			c.ready.Store(false)
			jitter()
			if c.take() {
				c.ready.Store(true)
			}
		}
		if c.p.rule == ruleDisarmAfterDrain {
			jitter()
			if err := c.ctl.Store(0, armedOffset(mailboxToken(c.idx)), 0); err != nil {
				c.err = err
			}
		}
	}
}

// take takes one message and checks it: it belongs to this ring and comes
// in its producer's order.
func (c *doorbellConsumer) take() bool {
	msg, ok, err := c.ring.TryTakeAppend(c.buf[:0])
	c.buf = msg
	if err != nil {
		c.err = err
		return false
	}
	if !ok {
		return false
	}
	if len(msg) != doorbellMessageSize {
		c.err = fmt.Errorf("ring %d: message of %d bytes", c.idx, len(msg))
		return false
	}
	rank, worker := binary.LittleEndian.Uint32(msg), binary.LittleEndian.Uint32(msg[4:])
	seq, idx := binary.LittleEndian.Uint32(msg[8:]), binary.LittleEndian.Uint32(msg[12:])
	if int(idx) != c.idx {
		c.err = fmt.Errorf("ring %d: message meant for ring %d", c.idx, idx)
		return false
	}
	from := [2]uint32{rank, worker}
	// A worker's messages to one ring are every c.p.rings-th of its sequence.
	want, seen := c.next[from]
	if !seen {
		// The worker's first message to this ring: the least i with
		// (i + worker + rank) mod rings = ring.
		want = uint32(((c.idx-int(worker)-int(rank))%c.p.rings + c.p.rings) % c.p.rings)
	}
	if seq != want {
		c.err = fmt.Errorf("ring %d: from rank %d worker %d: message %d when %d was next", c.idx, rank, worker, seq, want)
		return false
	}
	c.next[from] = seq + uint32(c.p.rings)
	c.received++
	return true
}

// TestDoorbellNoLostWakeup: the documented protocol delivers every message,
// in one long run with small rings (producers often find them full) and in
// many short ones (each ring's last commits race with the consumer going
// idle, which is where a wake-up gets lost).
func TestDoorbellNoLostWakeup(t *testing.T) {
	long := doorbellParams{ranks: 4, workers: 2, perWorker: 3000, rings: 4, capacity: 4}
	short := doorbellParams{ranks: 4, workers: 1, perWorker: 12, rings: 3, capacity: 16}
	rounds := 300
	if testing.Short() {
		long.perWorker, rounds = 500, 50
	}
	t.Run("long", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		res, err := runDoorbell(ctx, long)
		if err != nil {
			t.Fatalf("%v (%+v)", err, res)
		}
		if res.lost() || res.received != res.sent {
			t.Fatalf("lost wake-up: %d of %d messages received, %d stranded in the rings, %d failed rings",
				res.received, res.sent, res.left, res.ringErrs)
		}
	})
	t.Run("short rounds", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for round := range rounds {
			res, err := runDoorbell(ctx, short)
			if err != nil {
				t.Fatalf("round %d: %v (%+v)", round, err, res)
			}
			if res.lost() || res.received != res.sent {
				t.Fatalf("round %d: lost wake-up: %d of %d messages received, %d stranded in the rings, %d failed rings",
					round, res.received, res.sent, res.left, res.ringErrs)
			}
		}
	})
}

// TestDoorbellBrokenRulesLoseWakeups runs the same test against two broken
// orders of the protocol's steps and requires it to catch them: a test that
// passes whatever the order proves nothing about the documented one. Each
// broken order must lose a wake-up within the rounds allowed; rings are large
// enough that producers never wait, so a loss shows as messages left in the
// rings at the end and never as a hang.
func TestDoorbellBrokenRulesLoseWakeups(t *testing.T) {
	for _, rule := range []doorbellRule{ruleDisarmAfterDrain, ruleClearAfterTake} {
		t.Run(rule.String(), func(t *testing.T) {
			p := doorbellParams{ranks: 4, workers: 1, perWorker: 12, rings: 3, capacity: 16, rule: rule}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			const maxRounds = 2000
			for round := 1; round <= maxRounds; round++ {
				res, err := runDoorbell(ctx, p)
				if err != nil {
					t.Fatalf("round %d: %v (%+v)", round, err, res)
				}
				if res.lost() {
					t.Logf("round %d: %d of %d messages received, %d stranded in the rings, %d failed rings",
						round, res.received, res.sent, res.left, res.ringErrs)
					return
				}
			}
			t.Fatalf("no wake-up lost in %d rounds: the test cannot tell this broken rule from the documented one", maxRounds)
		})
	}
}

// TestRingAnswer: the two halves of the protocol, step by step. Ringing an
// armed token is a no-op; answer disarms, so the next ring puts the token
// again; a doorbell that is full (a token armed twice, which the protocol
// rules out) and a token of the wrong length are reported as corrupt.
func TestRingAnswer(t *testing.T) {
	const rings = 3
	runCtl(t, 2, rings, func(ctx context.Context, w rma.World, ctl rma.Window) error {
		bell, err := rma.NewChannel(ctx, w, 0, rings+1, 8, rma.WithClaims(rma.MaxClaim))
		if err != nil {
			return err
		}
		armed := func(tok uint64) (uint64, error) { return ctl.Load(0, armedOffset(tok)) }
		var buf [8]byte
		if w.Rank() == 1 {
			for i := range 3 { // only the first ring puts the token
				put, err := ring(ctl, bell, 0, mailboxToken(1))
				if err != nil {
					return err
				}
				if put != (i == 0) {
					return fmt.Errorf("ring %d reported put=%v", i, put)
				}
			}
			if _, err := ring(ctl, bell, 0, inboxToken); err != nil {
				return err
			}
			if a, err := armed(mailboxToken(1)); err != nil || a != 1 {
				return fmt.Errorf("armed word %d (%v) after ringing", a, err)
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 0 {
			s, err := bell.Stats()
			if err != nil {
				return err
			}
			if s.Len() != 2 {
				return fmt.Errorf("%d tokens in the doorbell, want 2", s.Len())
			}
			for _, want := range []uint64{mailboxToken(1), inboxToken} {
				tok, ok, err := answer(ctl, bell, 0, 1<<20, buf[:])
				if err != nil || !ok || tok != want {
					return fmt.Errorf("answer: %d, %v, %v; want token %d", tok, ok, err, want)
				}
				if a, err := armed(tok); err != nil || a != 0 {
					return fmt.Errorf("token %d still armed (%d, %v) after answer", tok, a, err)
				}
			}
			if tok, ok, err := answer(ctl, bell, 0, 1<<20, buf[:]); err != nil || ok {
				return fmt.Errorf("answer on an empty doorbell: %d, %v, %v", tok, ok, err)
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 1 {
			// Disarmed: ringing puts the token again.
			if put, err := ring(ctl, bell, 0, mailboxToken(1)); err != nil || !put {
				return fmt.Errorf("ring after disarm: put=%v, %v", put, err)
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 0 {
			if tok, ok, err := answer(ctl, bell, 0, 1<<20, buf[:]); err != nil || !ok || tok != mailboxToken(1) {
				return fmt.Errorf("answer after a second ring: %d, %v, %v", tok, ok, err)
			}
			// Fill the doorbell by hand, then ring a disarmed token: the
			// doorbell cannot take it.
			for range rings + 1 {
				if ok, err := bell.TryPut(make([]byte, 8)); err != nil || !ok {
					return fmt.Errorf("filling the doorbell: %v, %v", ok, err)
				}
			}
			if _, err := ring(ctl, bell, 0, mailboxToken(2)); !errors.Is(err, rma.ErrCorrupt) {
				return fmt.Errorf("ring into a full doorbell: %v, want ErrCorrupt", err)
			}
			for range rings + 1 {
				if _, ok, err := answer(ctl, bell, 0, 1<<20, buf[:]); err != nil || !ok {
					return fmt.Errorf("emptying the doorbell: %v, %v", ok, err)
				}
			}
			// A token that is not 8 bytes.
			if ok, err := bell.TryPut([]byte{1, 2, 3, 4}); err != nil || !ok {
				return fmt.Errorf("putting a short token: %v, %v", ok, err)
			}
			if _, ok, err := answer(ctl, bell, 0, 1<<20, buf[:]); ok || !errors.Is(err, rma.ErrCorrupt) {
				return fmt.Errorf("answer of a 4-byte token: %v, %v, want ErrCorrupt", ok, err)
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return bell.Close(ctx)
	})
}
