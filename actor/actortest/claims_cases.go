package actortest

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/types/known/wrapperspb"

	pa "github.com/asynkron/protoactor-go/actor"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

func claimCases() []testCase {
	return []testCase{
		{name: "Claims/StopAtCountAcrossRanks", ranks: 4, min: 2, prog: func(Config) Program { return program(nil, claimsAcrossRanks) }},
		{name: "Claims/StaleOnceTerminated", ranks: 2, min: 2, prog: func(Config) Program { return program(nil, claimsStaleOnceTerminated) }},
	}
}

// pack makes an Int64 message from a sender and a sequence number.
func pack(from int, seq int64) *wrapperspb.Int64Value {
	return wrapperspb.Int64(int64(from)<<40 | seq)
}

func unpack(v int64) (from int, seq int64) { return int(v >> 40), v & (1<<40 - 1) }

// claimsAcrossRanks: the owner spawns a counter WithClaims(base); every
// other rank adds claims for the messages it will send (a negative count is
// refused with rma.ErrNegativeClaim), then every rank sends its claimed
// messages and a few more. The counter processes exactly the claimed
// number (it reports its count from Stopped), each sender's messages in
// order; the rest become dead letters on the owner; rank 0's watcher gets
// Terminated; claims for the stopped counter fail with mailbox.ErrStale.
func claimsAcrossRanks(e *rankEnv) error {
	owner := e.size - 1
	const base, ownerExtra, extra = 10, 2, 3
	claimsOf := func(k int) int64 { return 200 + int64(k) }
	var totalClaims, totalExtra int64 = base, ownerExtra
	for k := range e.size {
		if k != owner {
			totalClaims += claimsOf(k)
			totalExtra += extra
		}
	}

	var pid *actor.PID
	var dead *deadLetters
	if e.rank == owner {
		dead = watchDeadLetters(e.sys, func(ev *actor.DeadLetterEvent) bool {
			_, ok := ev.Message.(*wrapperspb.Int64Value)
			return ok
		})
		defer dead.stop()
		props := actor.PropsFromFunc(func() actor.ReceiveFunc {
			var total int64
			per := make([]int64, e.size)
			var bad string
			return func(c actor.Context) {
				switch m := c.Message().(type) {
				case *wrapperspb.Int64Value:
					from, seq := unpack(m.Value)
					if from < 0 || from >= len(per) {
						bad += fmt.Sprintf("message %#x from no rank; ", m.Value)
						return
					}
					if seq != per[from] {
						bad += fmt.Sprintf("rank %d's message %d after %d; ", from, seq, per[from])
					}
					per[from] = seq + 1
					total++
				case *actor.Stopped:
					c.Send(collector(0), &result{Key: "claims", From: owner, Count: total, Values: per, Err: bad})
				}
			}
		}(), actor.WithClaims(base))
		var err error
		if pid, err = e.sys.Spawn(props); err != nil {
			return err
		}
		for _, k := range e.others() {
			if err := e.sys.Send(e.ctx, collector(k), pid); err != nil {
				return err
			}
		}
	} else {
		var err error
		if pid, err = recv[*actor.PID](e.ctx, e, "the counter's PID", nil); err != nil {
			return err
		}
	}
	if err := e.sys.AddClaims(pid, -1); !errors.Is(err, rma.ErrNegativeClaim) {
		return failf("AddClaims(-1): %v, want rma.ErrNegativeClaim", err)
	}
	mine := int64(base)
	if e.rank != owner {
		mine = claimsOf(e.rank)
		if err := e.sys.AddClaims(pid, int(mine)); err != nil {
			return fmt.Errorf("AddClaims(%s, %d) from rank %d: %w", pidString(pid), mine, e.rank, err)
		}
	}
	if e.rank == 0 {
		if _, err := e.sys.Spawn(watcher(e.box, owner, pid)); err != nil {
			return err
		}
		if _, err := recv(e.ctx, e, "the watcher's watch", func(r *result) bool { return r.Key == "watching" }); err != nil {
			return err
		}
	}
	// Every claim is in before any message is sent.
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	more := int64(extra)
	if e.rank == owner {
		more = ownerExtra
	}
	for i := range mine + more {
		if err := e.sys.Send(e.ctx, pid, pack(e.rank, i)); err != nil {
			return err
		}
	}

	if e.rank == 0 {
		r, err := e.recvResult("claims", owner)
		if err != nil {
			return err
		}
		if r.Err != "" {
			return failf("counter: %s", r.Err)
		}
		if r.Count != totalClaims {
			return failf("counter processed %d messages, claims were %d (per rank %v)", r.Count, totalClaims, r.Values)
		}
		t, err := recv[*actor.Terminated](e.ctx, e, "Terminated for the counter", nil)
		if err != nil {
			return err
		}
		if err := checkTerminated("watcher of the counter", t, pid, pa.TerminatedReason_Stopped); err != nil {
			return err
		}
		if err := e.sys.AddClaims(pid, 1); !errors.Is(err, mailbox.ErrStale) {
			return failf("AddClaims for a terminated actor: %v, want mailbox.ErrStale", err)
		}
	}
	if e.rank == owner {
		if _, err := dead.wait(e.ctx, "the messages beyond the claims", int(totalExtra)); err != nil {
			return err
		}
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	if e.rank == owner {
		if n := len(dead.snapshot()); n != int(totalExtra) {
			return failf("%d dead letters, want %d: the messages beyond the claims", n, totalExtra)
		}
	}
	return nil
}

// claimsStaleOnceTerminated: once a watcher has Terminated for an actor
// spawned with claims, claims for it fail with mailbox.ErrStale, even while
// its rank is still turning the messages left in its mailbox into dead
// letters. Rank 1's counter is held on its first message until its root
// has queued the claimed messages and many more; rank 0 watches it and adds
// a claim as soon as it has Terminated.
func claimsStaleOnceTerminated(e *rankEnv) error {
	const owner, claimed, extra = 1, 10, 100000
	var pid *actor.PID
	switch e.rank {
	case owner:
		dead := watchDeadLetters(e.sys, func(ev *actor.DeadLetterEvent) bool {
			_, ok := ev.Message.(*wrapperspb.Int64Value)
			return ok
		})
		defer dead.stop()
		gate := make(chan struct{})
		var err error
		pid, err = e.sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if r, ok := c.Message().(*result); ok && r.Key == "gate" {
				select {
				case <-gate:
				case <-e.ctx.Done():
				}
			}
		}, actor.WithClaims(claimed+1)))
		if err != nil {
			return err
		}
		if err := e.sys.Send(e.ctx, collector(0), pid); err != nil {
			return err
		}
		if _, err := e.recvResult("watching", 0); err != nil {
			return err
		}
		e.sys.Root().Send(pid, &result{Key: "gate"})
		for i := range int64(claimed + extra) {
			e.sys.Root().Send(pid, wrapperspb.Int64(i))
		}
		close(gate)
		// The messages beyond the claims are dead letters. Waiting for
		// them also keeps Close from racing the drain
		// (Close/WhileStoppedActorDrains).
		evs, err := dead.wait(e.ctx, "the messages beyond the claims", extra)
		if err != nil {
			return err
		}
		if len(evs) != extra {
			return failf("%d dead letters, want %d: the messages beyond the claims", len(evs), extra)
		}
	case 0:
		var err error
		if pid, err = recv[*actor.PID](e.ctx, e, "the counter's PID", nil); err != nil {
			return err
		}
		if _, err := e.sys.Spawn(watcher(e.box, owner, pid)); err != nil {
			return err
		}
		if _, err := recv(e.ctx, e, "the watcher's watch", func(r *result) bool { return r.Key == "watching" }); err != nil {
			return err
		}
		if err := e.sendResult(owner, "watching", &result{}); err != nil {
			return err
		}
		t, err := recv[*actor.Terminated](e.ctx, e, "Terminated for the counter", nil)
		if err != nil {
			return err
		}
		if err := checkTerminated("watcher of the counter", t, pid, pa.TerminatedReason_Stopped); err != nil {
			return err
		}
		if err := e.sys.AddClaims(pid, 1); !errors.Is(err, mailbox.ErrStale) {
			return failf("AddClaims(%s, 1) once Terminated: %v, want mailbox.ErrStale", pidString(pid), err)
		}
	}
	return nil
}
