package actortest

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	pa "github.com/asynkron/protoactor-go/actor"

	"github.com/rmactor/rmactor/actor"
)

func lifecycleCases() []testCase {
	return []testCase{
		{name: "Lifecycle/WatchStopAcrossRanks", ranks: 3, min: 2, prog: func(Config) Program { return program(nil, watchStopAcrossRanks) }},
		{name: "Lifecycle/PoisonFutureAcrossRanks", ranks: 3, min: 2, prog: func(Config) Program { return program(nil, poisonAcrossRanks) }},
		{name: "Lifecycle/PoisonFutureWatchesBeforeThePill", ranks: 2, min: 2, prog: func(cfg Config) Program {
			return program(nil, func(e *rankEnv) error { return poisonWatchOrder(e, cfg) })
		}},
	}
}

// fastFail bounds how long a request to a missing actor may take to fail.
const fastFail = 2 * time.Second

// checkTerminated checks a Terminated's Who and Why.
func checkTerminated(what string, v any, who *actor.PID, why actor.TerminatedReason) error {
	t, ok := v.(*actor.Terminated)
	if !ok {
		return failf("%s: got %T %v, want *actor.Terminated", what, v, v)
	}
	if !samePID(t.Who, who) || t.Why != why {
		return failf("%s: Terminated{Who: %s, Why: %v}, want Who %s, Why %v", what, pidString(t.Who), t.Why, pidString(who), why)
	}
	return nil
}

// watcher watches targets; once the watches are sure to have reached their
// actors (a request to the owner's echo, sent after them through the same
// inbox, was answered), it pushes result "watching" into box; it pushes
// every Terminated into box.
func watcher(box *queue, owner int, targets ...*actor.PID) *actor.Props {
	return actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			for _, p := range targets {
				c.Watch(p)
			}
			c.Request(echo(owner), &result{Key: "fence"})
		case *result:
			box.push(&result{Key: "watching"})
		case *actor.Terminated:
			box.push(m)
		}
	})
}

// watchStopAcrossRanks: rank B hosts a spawned and a named actor, rank A
// watches both, rank C (A when there are two ranks) stops one with
// StopFuture and poisons the other with PoisonFuture; A's watcher gets
// Terminated for each, with the right Who. Watching them afterwards gives
// Terminated(NotFound), and requests fail as dead letters.
func watchStopAcrossRanks(e *rankEnv) error {
	const a, b = 0, 1
	c := 2 % e.size
	named := actor.PIDOn(b, "watched")
	idle := actor.PropsFromFunc(func(actor.Context) {})
	var spawned *actor.PID
	switch e.rank {
	case b:
		var err error
		if spawned, err = e.sys.Spawn(idle); err != nil {
			return err
		}
		if _, err := e.sys.SpawnNamed(idle, "watched"); err != nil {
			return err
		}
		for _, k := range []int{a, c} {
			if err := e.sys.Send(e.ctx, collector(k), spawned); err != nil {
				return err
			}
			if c == a {
				break
			}
		}
	case a, c:
		var err error
		if spawned, err = recv[*actor.PID](e.ctx, e, "the watched actor's PID", nil); err != nil {
			return err
		}
	}

	if e.rank == a {
		if _, err := e.sys.Spawn(watcher(e.box, b, spawned, named)); err != nil {
			return err
		}
		if _, err := recv(e.ctx, e, "the watcher's watches", func(r *result) bool { return r.Key == "watching" }); err != nil {
			return err
		}
		if c != a {
			if err := e.sendResult(c, "stop", &result{}); err != nil {
				return err
			}
		}
	}
	if e.rank == c {
		if c != a {
			if _, err := e.recvResult("stop", a); err != nil {
				return err
			}
		}
		v, err := awaitFuture(e.ctx, e.sys.Root().StopFuture(spawned))
		if err != nil {
			return fmt.Errorf("StopFuture(%s): %w", pidString(spawned), err)
		}
		if err := checkTerminated("StopFuture", v, spawned, pa.TerminatedReason_Stopped); err != nil {
			return err
		}
		v, err = awaitFuture(e.ctx, e.sys.Root().PoisonFuture(named))
		if err != nil {
			return fmt.Errorf("PoisonFuture(%s): %w", pidString(named), err)
		}
		if err := checkTerminated("PoisonFuture", v, named, pa.TerminatedReason_Stopped); err != nil {
			return err
		}
	}
	if e.rank == a {
		seen := map[string]bool{}
		for range 2 {
			t, err := recv[*actor.Terminated](e.ctx, e, "Terminated for the watched actors", nil)
			if err != nil {
				return err
			}
			if t.Why != pa.TerminatedReason_Stopped {
				return failf("watcher: Terminated{Who: %s, Why: %v}, want Why Stopped", pidString(t.Who), t.Why)
			}
			if !samePID(t.Who, spawned) && !samePID(t.Who, named) || seen[t.Who.Id] {
				return failf("watcher: Terminated for %s; watching %s and %s (seen %v)",
					pidString(t.Who), pidString(spawned), pidString(named), seen)
			}
			seen[t.Who.Id] = true
		}
		// Watching a stopped actor on another rank: Terminated(NotFound).
		for _, p := range []*actor.PID{spawned, named} {
			if _, err := e.sys.Spawn(watcher(e.box, b, p)); err != nil {
				return err
			}
			t, err := recv[*actor.Terminated](e.ctx, e, "Terminated for a stopped actor", nil)
			if err != nil {
				return err
			}
			if err := checkTerminated("watching a stopped actor", t, p, pa.TerminatedReason_NotFound); err != nil {
				return err
			}
			if _, err := recv(e.ctx, e, "the late watcher's fence", func(r *result) bool { return r.Key == "watching" }); err != nil {
				return err
			}
			if err := e.requestFast("request to a stopped actor", p, wrapperspb.Int64(1), actor.ErrDeadLetter, fastFail); err != nil {
				return err
			}
		}
	}
	return nil
}

// counter counts Int64 messages and, when it stops, sends the count to
// rank report's collector as result key.
func counter(report int, key string) *actor.Props {
	return actor.PropsFromFunc(func() actor.ReceiveFunc {
		var n int64
		return func(c actor.Context) {
			switch c.Message().(type) {
			case *wrapperspb.Int64Value:
				n++
			case *actor.Stopped:
				c.Send(collector(report), &result{Key: key, From: -1, Count: n})
			}
		}
	}())
}

// poisonAcrossRanks: every rank but B sends messages to a spawned and a
// named counter of its own on rank B, then PoisonFuture: the future gives
// Terminated for the counter, which processed every message sent before the
// poison pill; requests to it then fail as dead letters.
func poisonAcrossRanks(e *rankEnv) error {
	const b, msgs = 1, 50
	key := func(k int, kind string) string { return fmt.Sprintf("poisoned-%s-%d", kind, k) }
	if e.rank == b {
		for _, k := range e.others() {
			p, err := e.sys.Spawn(counter(k, key(k, "spawned")))
			if err != nil {
				return err
			}
			if _, err := e.sys.SpawnNamed(counter(k, key(k, "named")), key(k, "named")); err != nil {
				return err
			}
			if err := e.sys.Send(e.ctx, collector(k), p); err != nil {
				return err
			}
		}
		return nil
	}
	spawned, err := recv[*actor.PID](e.ctx, e, "the counter's PID", nil)
	if err != nil {
		return err
	}
	named := actor.PIDOn(b, key(e.rank, "named"))
	for _, p := range []*actor.PID{spawned, named} {
		kind := "spawned"
		if p == named {
			kind = "named"
		}
		for i := range int64(msgs) {
			if err := e.sys.Send(e.ctx, p, wrapperspb.Int64(i)); err != nil {
				return err
			}
		}
		v, err := awaitFuture(e.ctx, e.sys.Root().PoisonFuture(p))
		if err != nil {
			return fmt.Errorf("PoisonFuture(%s): %w", pidString(p), err)
		}
		if err := checkTerminated("PoisonFuture", v, p, pa.TerminatedReason_Stopped); err != nil {
			return err
		}
		r, err := e.recvResult(key(e.rank, kind), -1)
		if err != nil {
			return err
		}
		if r.Count != msgs {
			return failf("%s counter processed %d messages before the poison pill, want %d", kind, r.Count, msgs)
		}
		if err := e.requestFast("request to a poisoned actor", p, wrapperspb.Int64(1), actor.ErrDeadLetter, fastFail); err != nil {
			return err
		}
	}
	return nil
}

// poisonWatchOrder: PoisonFuture sends the target a Watch (a system
// message), then the poison pill (a user message); one sender's messages to
// an actor arrive in order, so the future gets Terminated(Stopped). Rank 0
// sends each of rank 1's spawned actors a stream of messages and then
// PoisonFuture: every future must give Terminated(Stopped), not NotFound
// (which means the Watch reached the actor after it had stopped, as when
// system messages took the inbox and user messages the actor's ring).
func poisonWatchOrder(e *rankEnv, cfg Config) error {
	const msgs = 50
	actors := min(200, max(20, cfg.Messages/1024))
	var ids []string
	if e.rank == 1 {
		for range actors {
			p, err := e.sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
			if err != nil {
				return err
			}
			ids = append(ids, p.Id)
		}
	}
	all, err := e.gatherIDs("poison-order", ids)
	if err != nil {
		return err
	}
	if e.rank != 0 {
		return nil
	}
	late := 0
	var first string
	for _, p := range pidsOf(all)[1] {
		for i := range int64(msgs) {
			if err := e.sys.Send(e.ctx, p, wrapperspb.Int64(i)); err != nil {
				return err
			}
		}
		v, err := awaitFuture(e.ctx, e.sys.Root().PoisonFuture(p))
		if err != nil {
			return fmt.Errorf("PoisonFuture(%s): %w", pidString(p), err)
		}
		t, ok := v.(*actor.Terminated)
		if !ok || !samePID(t.Who, p) {
			return failf("PoisonFuture(%s): %T %v", pidString(p), v, v)
		}
		if t.Why != pa.TerminatedReason_Stopped {
			late++
			if first == "" {
				first = fmt.Sprintf("Terminated{Who: %s, Why: %v}", pidString(t.Who), t.Why)
			}
		}
	}
	if late > 0 {
		return failf("%d of %d PoisonFutures to spawned actors on rank 1 gave Terminated(NotFound), first %s: "+
			"the Watch was delivered after the poison pill", late, actors, first)
	}
	return nil
}
