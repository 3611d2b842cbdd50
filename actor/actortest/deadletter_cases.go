package actortest

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/codec"
)

func deadLetterCases() []testCase {
	return []testCase{
		{name: "DeadLetter/MissingPIDFailsFast", ranks: 3, min: 2, prog: func(Config) Program { return program(nil, missingPIDFailsFast) }},
		{name: "DeadLetter/UnknownMessageType", ranks: 3, min: 2, prog: func(Config) Program {
			return program(senderOnlyCodec, unknownMessageType)
		}},
	}
}

// tally counts the user messages it gets, answers a request for result
// "count" with the count (not counting that request), and answers Int64
// requests with the request.
func tally() *actor.Props {
	return actor.PropsFromFunc(func() actor.ReceiveFunc {
		var n int64
		return func(c actor.Context) {
			m := c.Message()
			if isLifecycle(m) {
				return
			}
			if r, ok := m.(*result); ok && r.Key == "count" {
				c.Respond(&result{Key: "count", Count: n})
				return
			}
			n++
			if v, ok := m.(*wrapperspb.Int64Value); ok && c.Sender() != nil {
				c.Respond(v)
			}
		}
	}())
}

// count asks a tally for its count.
func (e *rankEnv) count(pid *actor.PID) (int64, error) {
	v, err := e.sys.Request(e.ctx, pid, &result{Key: "count"})
	if err != nil {
		return 0, fmt.Errorf("count of %s: %w", pidString(pid), err)
	}
	r, ok := v.(*result)
	if !ok {
		return 0, failf("count of %s: reply %T %v", pidString(pid), v, v)
	}
	return r.Count, nil
}

// missingPIDFailsFast: rank 0 requests actors that do not exist on every
// other rank: a name never spawned, a named actor that stopped, a spawned
// actor that stopped (its mailbox ring now serves another actor, which must
// not get the request), a mailbox address past the rank's pool and a
// malformed one. Each request fails with ErrDeadLetter well before its
// 10 s timeout.
func missingPIDFailsFast(e *rankEnv) error {
	if e.rank != 0 {
		stale, err := e.sys.Spawn(tally())
		if err != nil {
			return err
		}
		if _, err := awaitFuture(e.ctx, e.sys.Root().StopFuture(stale)); err != nil {
			return err
		}
		// The next spawn takes the ring the stopped actor gave back.
		next, err := e.sys.Spawn(tally())
		if err != nil {
			return err
		}
		if _, err := e.sys.SpawnNamed(tally(), "gone"); err != nil {
			return err
		}
		if _, err := awaitFuture(e.ctx, e.sys.Root().StopFuture(actor.PIDOn(e.rank, "gone"))); err != nil {
			return err
		}
		return e.sys.Send(e.ctx, collector(0), &idList{Key: "stale", From: e.rank, Total: 2, IDs: []string{stale.Id, next.Id}})
	}
	for range e.size - 1 {
		l, err := recv(e.ctx, e, "stale ids", func(l *idList) bool { return l.Key == "stale" })
		if err != nil {
			return err
		}
		k := l.From
		stale, next := actor.PIDOn(k, l.IDs[0]), actor.PIDOn(k, l.IDs[1])
		for _, c := range []struct {
			what string
			pid  *actor.PID
		}{
			{"a name never spawned", actor.PIDOn(k, "never-spawned")},
			{"a stopped named actor", actor.PIDOn(k, "gone")},
			{"a stopped spawned actor", stale},
			{"a mailbox address past the pool", actor.PIDOn(k, "$1/@zzzzzz.0")},
			{"a malformed mailbox address", actor.PIDOn(k, "$1/@!")},
		} {
			if err := e.requestFast(c.what, c.pid, wrapperspb.Int64(7), actor.ErrDeadLetter, fastFail); err != nil {
				return err
			}
		}
		// A plain send to the stale PID is dropped as well.
		if err := e.sys.Send(e.ctx, stale, wrapperspb.Int64(8)); err != nil {
			return fmt.Errorf("send to a stale PID: %w", err)
		}
		if err := e.requestFast("a stopped spawned actor, again", stale, wrapperspb.Int64(9), actor.ErrDeadLetter, fastFail); err != nil {
			return err
		}
		n, err := e.count(next)
		if err != nil {
			return err
		}
		if n != 0 {
			return failf("the actor spawned after %s got %d message(s) meant for it", pidString(stale), n)
		}
	}
	return nil
}

// unregistered is registered in no codec.
type unregistered struct{ N int }

// senderOnly is registered in rank 0's codec only.
type senderOnly struct{ N int }

const senderOnlyType = "actortest.senderOnly"

func senderOnlyCodec(rank int) ([]actor.Option, error) {
	if rank != 0 {
		return nil, nil
	}
	c, err := newCodec(codec.Type[*senderOnly](senderOnlyType))
	if err != nil {
		return nil, err
	}
	return []actor.Option{actor.WithCodec(c)}, nil
}

// unknownMessageType: rank 0 sends rank 1 messages its codec cannot encode:
// System.Send reports codec.ErrUnknownType, RootContext.Send makes a dead
// letter on rank 0's event stream, a request fails at once. Then messages
// rank 0's codec encodes and rank 1's cannot decode: they become dead
// letters on rank 1 (Undeliverable, for codec.ErrUnknownType), requests for
// them fail at once, and the target actors never see them.
func unknownMessageType(e *rankEnv) error {
	const r0, r1 = 0, 1
	named := actor.PIDOn(r1, "tally")
	var spawned *actor.PID
	var undeliverable *deadLetters
	switch e.rank {
	case r1:
		var err error
		if spawned, err = e.sys.Spawn(tally()); err != nil {
			return err
		}
		if _, err := e.sys.SpawnNamed(tally(), "tally"); err != nil {
			return err
		}
		undeliverable = watchDeadLetters(e.sys, func(ev *actor.DeadLetterEvent) bool {
			u, ok := ev.Message.(*actor.Undeliverable)
			return ok && u.Type == senderOnlyType
		})
		defer undeliverable.stop()
		if err := e.sys.Send(e.ctx, collector(r0), spawned); err != nil {
			return err
		}
		// Rank 1's codec does not know senderOnly.
		if err := e.sys.Send(e.ctx, collector(r0), &senderOnly{N: 1}); !errors.Is(err, codec.ErrUnknownType) {
			return failf("System.Send of a type rank 1's codec lacks: %v, want codec.ErrUnknownType", err)
		}
	case r0:
		var err error
		if spawned, err = recv[*actor.PID](e.ctx, e, "the target's PID", nil); err != nil {
			return err
		}
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	targets := []*actor.PID{spawned, named}
	if e.rank == r0 {
		dead := watchDeadLetters(e.sys, func(ev *actor.DeadLetterEvent) bool {
			_, ok := ev.Message.(*unregistered)
			return ok
		})
		defer dead.stop()
		for i, p := range targets {
			if err := e.sys.Send(e.ctx, p, &unregistered{N: i}); !errors.Is(err, codec.ErrUnknownType) {
				return failf("System.Send(%s, *unregistered): %v, want codec.ErrUnknownType", pidString(p), err)
			}
			if err := e.sys.Send(e.ctx, p, unregistered{N: i}); !errors.Is(err, codec.ErrUnknownType) {
				return failf("System.Send(%s, unregistered): %v, want codec.ErrUnknownType", pidString(p), err)
			}
		}
		for i, p := range targets {
			e.sys.Root().Send(p, &unregistered{N: 100 + i})
		}
		evs, err := dead.wait(e.ctx, "*unregistered on the sender", len(targets))
		if err != nil {
			return err
		}
		for i, p := range targets {
			found := false
			for _, ev := range evs {
				if ev.Message.(*unregistered).N == 100+i && samePID(ev.PID, p) {
					found = true
				}
			}
			if !found {
				return failf("no dead letter on the sender for *unregistered{%d} to %s (have %d)", 100+i, pidString(p), len(evs))
			}
		}
		for _, p := range targets {
			if err := e.requestFast("request of an unregistered type", p, &unregistered{}, codec.ErrUnknownType, fastFail); err != nil {
				return err
			}
		}
		// Known here, unknown on rank 1.
		for i, p := range targets {
			if err := e.sys.Send(e.ctx, p, &senderOnly{N: i}); err != nil {
				return fmt.Errorf("System.Send(%s, *senderOnly) with the type registered: %w", pidString(p), err)
			}
		}
		for _, p := range targets {
			if err := e.requestFast("request of a type the receiver lacks", p, &senderOnly{N: 9}, codec.ErrUnknownType, fastFail); err != nil {
				return err
			}
		}
	}
	if e.rank == r1 {
		// Per target, a send and two requests (System.Request and a
		// future) of senderOnly.
		evs, err := undeliverable.wait(e.ctx, "senderOnly on the receiver", 3*len(targets))
		if err != nil {
			return err
		}
		requests := 0
		for _, ev := range evs {
			u := ev.Message.(*actor.Undeliverable)
			if !errors.Is(u.Reason, codec.ErrUnknownType) {
				return failf("dead letter of %s: reason %v, want codec.ErrUnknownType", u.Type, u.Reason)
			}
			if u.Sender != nil {
				requests++
			}
		}
		if requests != 2*len(targets) {
			return failf("%d dead letters of senderOnly name a sender, want %d (the requests)", requests, 2*len(targets))
		}
		for _, p := range targets {
			n, err := e.count(p)
			if err != nil {
				return err
			}
			if n != 0 {
				return failf("%s got %d undecodable message(s)", pidString(p), n)
			}
		}
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	if e.rank == r1 {
		evs := undeliverable.snapshot()
		if n := len(evs); n != 3*len(targets) {
			return failf("%d dead letters of senderOnly on the receiver, want %d", n, 3*len(targets))
		}
		// Each dead letter names the actor the message was for.
		for _, p := range targets {
			n := 0
			for _, ev := range evs {
				if samePID(ev.PID, p) {
					n++
				}
			}
			if n != 3 {
				var got []string
				for _, ev := range evs {
					got = append(got, pidString(ev.PID))
				}
				return failf("%d dead letters of senderOnly on the receiver name %s, want 3 (one send, two requests); they name %v",
					n, pidString(p), got)
			}
		}
	}
	if e.rank == r0 {
		// Rank 1's actors and system still work.
		for _, p := range targets {
			v, err := e.sys.Request(e.ctx, p, wrapperspb.Int64(5))
			if err != nil {
				return fmt.Errorf("request to %s after the dead letters: %w", pidString(p), err)
			}
			if r, ok := v.(*wrapperspb.Int64Value); !ok || r.Value != 5 {
				return failf("request to %s after the dead letters: %v", pidString(p), v)
			}
			n, err := e.count(p)
			if err != nil {
				return err
			}
			if n != 1 {
				return failf("%s counted %d messages, want 1", pidString(p), n)
			}
		}
	}
	return nil
}
