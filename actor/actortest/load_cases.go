package actortest

import (
	"fmt"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

func loadCases() []testCase {
	return []testCase{
		{name: "Load/ManyActorsExactlyOnce", ranks: 4, min: 2, prog: func(cfg Config) Program {
			return program(manyActorsOptions(cfg), func(e *rankEnv) error { return manyActors(e, cfg) })
		}},
		{name: "Load/TwoSlotRelayRing", ranks: 4, min: 2, prog: func(cfg Config) Program {
			return program(twoSlots, func(e *rankEnv) error { return relayRing(e, cfg) })
		}},
		{name: "Load/TwoSlotAllToAll", ranks: 4, min: 2, prog: func(cfg Config) Program {
			return program(twoSlots, func(e *rankEnv) error { return allToAll(e, cfg) })
		}},
		{name: "Load/FIFOPerSenderAndReceiver", ranks: 4, min: 2, prog: func(cfg Config) Program {
			return program(nil, func(e *rankEnv) error { return fifo(e, cfg) })
		}},
	}
}

func twoSlots(int) ([]actor.Option, error) {
	return []actor.Option{actor.WithMailboxCapacity(2)}, nil
}

// manyActorsCount is how many actors the many-actors case spawns on a world
// of size ranks, and how many messages each gets from each other rank.
func manyActorsCount(cfg Config, size int) (actors, per int) {
	actors = max(1, min(cfg.Actors, cfg.Messages/(size-1)))
	per = max(1, cfg.Messages/(actors*(size-1)))
	return actors, per
}

// manyActorsOptions gives every rank 4-slot mailboxes and an arena with
// room for the case's actors. The options must not depend on the rank, and
// under MPI nothing else tells the world's size here: the arena is sized
// for cfg.Actors.
func manyActorsOptions(cfg Config) func(int) ([]actor.Option, error) {
	return func(int) ([]actor.Option, error) {
		def := mailbox.DefaultConfig()
		ring, err := rma.ChannelBytes(4, def.SlotBytes)
		if err != nil {
			return nil, err
		}
		inbox, err := rma.ChannelBytes(def.InboxCapacity, def.SlotBytes)
		if err != nil {
			return nil, err
		}
		// Room for the actors, the harness's and Wait's, and the doorbell.
		arena := (cfg.Actors+64)*(ring+64) + inbox
		return []actor.Option{
			actor.WithMailboxCapacity(4),
			actor.WithArenaBytes(arena),
		}, nil
	}
}

// manyActors: rank 0 hosts cfg.Actors actors (10 000 in the full suite)
// with 4-slot mailbox rings; every other rank sends each of them the same
// number of messages. Each actor checks it gets every (sender, sequence)
// exactly once.
func manyActors(e *rankEnv, cfg Config) error {
	const host = 0
	actors, per := manyActorsCount(cfg, e.size)
	want := per * (e.size - 1)
	var ids []string
	if e.rank == host {
		for i := range actors {
			props := actor.PropsFromFunc(func() actor.ReceiveFunc {
				seen := make([][]bool, e.size)
				got := 0
				return func(c actor.Context) {
					m, ok := c.Message().(*wrapperspb.Int64Value)
					if !ok {
						return
					}
					from, seq := unpack(m.Value)
					switch {
					case from < 0 || from >= e.size || from == host || seq >= int64(per):
						c.Send(collector(host), &result{Key: "many", Index: i, Err: fmt.Sprintf("unexpected message %#x", m.Value)})
						return
					case seen[from] == nil:
						seen[from] = make([]bool, per)
					case seen[from][seq]:
						c.Send(collector(host), &result{Key: "many", Index: i, Err: fmt.Sprintf("rank %d's message %d twice", from, seq)})
						return
					}
					seen[from][seq] = true
					got++
					if got == want {
						c.Send(collector(host), &result{Key: "many", Index: i, Count: int64(got)})
					}
				}
			}())
			pid, err := e.sys.Spawn(props)
			if err != nil {
				return fmt.Errorf("spawning actor %d of %d: %w (%+v)", i, actors, err, e.sys.Stats())
			}
			ids = append(ids, pid.Id)
		}
	}
	all, err := e.gatherIDs("many", ids)
	if err != nil {
		return err
	}
	pids := pidsOf(all)[host]
	if len(pids) != actors {
		return failf("got %d PIDs of rank %d's actors, want %d", len(pids), host, actors)
	}
	if e.rank != host {
		for seq := range int64(per) {
			for _, p := range pids {
				if err := e.sys.Send(e.ctx, p, pack(e.rank, seq)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	done := make([]bool, actors)
	for n := 0; n < actors; n++ {
		r, err := e.recvResult("many", host)
		if err != nil {
			return fmt.Errorf("%d of %d actors got all their %d messages: %w", n, actors, want, err)
		}
		if r.Err != "" {
			return failf("actor %d: %s", r.Index, r.Err)
		}
		if done[r.Index] {
			return failf("actor %d reported twice", r.Index)
		}
		done[r.Index] = true
	}
	return nil
}

// relayRing: every rank hosts relays with 2-slot mailboxes; relay j of
// rank k forwards each token to relay j of rank k+1 (mod the size) until
// its hops run out, then sends it home. Every rank starts many tokens at
// once. Each token comes home exactly once, having visited the ranks it
// should (its sum of ranks).
func relayRing(e *rankEnv, cfg Config) error {
	const relays = 4
	tokens := 64
	hops := max(2*e.size, cfg.Messages/2/(e.size*tokens))
	var next []*actor.PID // this rank's relays' successors, set before "start"
	var ids []string
	var own []*actor.PID
	for j := range relays {
		props := actor.PropsFromFunc(func(c actor.Context) {
			switch m := c.Message().(type) {
			case *result: // start
				c.Respond(m)
			case *token:
				m.Sum += int64(e.rank)
				if m.Hops == 0 {
					c.Send(collector(m.Origin), m)
					return
				}
				m.Hops--
				c.Send(next[j], m)
			}
		})
		pid, err := e.sys.Spawn(props)
		if err != nil {
			return err
		}
		own = append(own, pid)
		ids = append(ids, pid.Id)
	}
	all, err := e.gatherIDs("relays", ids)
	if err != nil {
		return err
	}
	next = pidsOf(all)[(e.rank+1)%e.size]
	for _, p := range own {
		if _, err := e.sys.Request(e.ctx, p, &result{Key: "start"}); err != nil {
			return err
		}
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	for t := range tokens {
		tok := &token{ID: int64(e.rank*tokens + t), Origin: e.rank, Hops: hops}
		if err := e.sys.Send(e.ctx, own[t%relays], tok); err != nil {
			return err
		}
	}
	var want int64
	for i := range hops + 1 {
		want += int64((e.rank + i) % e.size)
	}
	home := make([]bool, tokens)
	for n := range tokens {
		tok, err := recv[*token](e.ctx, e, fmt.Sprintf("token %d of %d home", n+1, tokens), nil)
		if err != nil {
			return err
		}
		t := int(tok.ID) - e.rank*tokens
		if t < 0 || t >= tokens || home[t] {
			return failf("token %d came home to rank %d (twice?)", tok.ID, e.rank)
		}
		home[t] = true
		if tok.Hops != 0 || tok.Sum != want {
			return failf("token %d home with %d hops left and rank sum %d, want 0 and %d", tok.ID, tok.Hops, tok.Sum, want)
		}
	}
	return nil
}

// allToAll: every rank hosts actors with 2-slot mailboxes; each gets a
// message with a time to live, and every actor that gets a message with
// ttl > 0 sends ttl-1 to every other actor of every rank. Each actor must
// get exactly sum_{j=0..ttl} (N-1)^j messages (N actors in all).
func allToAll(e *rankEnv, cfg Config) error {
	const local = 4
	n := local * e.size
	perActor := func(ttl int) int64 {
		var s, p int64 = 0, 1
		for range ttl + 1 {
			s += p
			p *= int64(n - 1)
		}
		return s
	}
	ttl := 1
	for int64(n)*perActor(ttl+1) <= int64(cfg.Messages/2) {
		ttl++
	}
	want := perActor(ttl)
	var peers []*actor.PID // set before "start"
	var own []*actor.PID
	var ids []string
	for i := range local {
		props := actor.PropsFromFunc(func() actor.ReceiveFunc {
			var got int64
			return func(c actor.Context) {
				switch m := c.Message().(type) {
				case *result:
					if m.Key == "count" {
						c.Respond(&result{Key: "count", Count: got})
					} else {
						c.Respond(m)
					}
				case *wrapperspb.Int64Value:
					got++
					if m.Value > 0 {
						for _, p := range peers {
							if !samePID(p, c.Self()) {
								c.Send(p, wrapperspb.Int64(m.Value-1))
							}
						}
					}
					if got == want {
						c.Send(collector(e.rank), &result{Key: "a2a", Index: i, Count: got})
					}
				}
			}
		}())
		pid, err := e.sys.Spawn(props)
		if err != nil {
			return err
		}
		own = append(own, pid)
		ids = append(ids, pid.Id)
	}
	all, err := e.gatherIDs("a2a", ids)
	if err != nil {
		return err
	}
	for _, ps := range pidsOf(all) {
		peers = append(peers, ps...)
	}
	for _, p := range own {
		if _, err := e.sys.Request(e.ctx, p, &result{Key: "start"}); err != nil {
			return err
		}
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	for _, p := range own {
		if err := e.sys.Send(e.ctx, p, wrapperspb.Int64(int64(ttl))); err != nil {
			return err
		}
	}
	for range local {
		if _, err := recv(e.ctx, e, fmt.Sprintf("all-to-all actors done (%d messages each, ttl %d)", want, ttl),
			func(r *result) bool { return r.Key == "a2a" }); err != nil {
			return err
		}
	}
	// Every actor is done: nothing may come after.
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	for _, p := range own {
		got, err := e.count(p)
		if err != nil {
			return err
		}
		if got != want {
			return failf("all-to-all actor %s got %d messages, want %d", pidString(p), got, want)
		}
	}
	return nil
}

// fifoPack makes a FIFO message: sender rank, source on that rank (0 the
// root, then actors), sequence.
func fifoPack(from, src int, seq int64) *wrapperspb.Int64Value {
	return wrapperspb.Int64(int64(from*16+src)<<40 | seq)
}

// sequenceChecker checks that each source's sequence numbers arrive in
// order and reports to rank 0's collector once it has want messages.
func sequenceChecker(key string, want int64) *actor.Props {
	return actor.PropsFromFunc(func() actor.ReceiveFunc {
		next := map[int64]int64{}
		var got int64
		var bad string
		return func(c actor.Context) {
			m, ok := c.Message().(*wrapperspb.Int64Value)
			if !ok {
				return
			}
			src, seq := m.Value>>40, m.Value&(1<<40-1)
			if seq != next[src] && len(bad) < 500 {
				bad += fmt.Sprintf("rank %d source %d: message %d after %d; ", src/16, src%16, seq, next[src])
			}
			next[src] = seq + 1
			got++
			if got == want {
				c.Send(collector(0), &result{Key: key, Count: got, Err: bad})
			}
		}
	}())
}

// fifo: rank 0 hosts a spawned and a named receiver; the root and two
// actors of every rank (rank 0 included) each send both a numbered
// sequence, the root with System.Send, the actors with Context.Send from
// Receive, in bursts. Each receiver sees each sender's sequence in order.
func fifo(e *rankEnv, cfg Config) error {
	const senders = 2 // actors per rank, besides the root
	const burst = 16
	msgs := int64(max(burst, cfg.Messages/(2*e.size*(senders+1))))
	want := msgs * int64(e.size*(senders+1))
	var ids []string
	if e.rank == 0 {
		r, err := e.sys.Spawn(sequenceChecker("fifo-spawned", want))
		if err != nil {
			return err
		}
		if _, err := e.sys.SpawnNamed(sequenceChecker("fifo-named", want), "fifo"); err != nil {
			return err
		}
		ids = []string{r.Id}
	}
	all, err := e.gatherIDs("fifo", ids)
	if err != nil {
		return err
	}
	receivers := []*actor.PID{actor.PIDOn(0, all[0][0]), actor.PIDOn(0, "fifo")}
	for src := 1; src <= senders; src++ {
		props := actor.PropsFromFunc(func(c actor.Context) {
			m, ok := c.Message().(*result)
			if !ok {
				return
			}
			start := int64(m.Index)
			end := min(start+burst, msgs)
			for seq := start; seq < end; seq++ {
				for _, r := range receivers {
					c.Send(r, fifoPack(e.rank, src, seq))
				}
			}
			if end < msgs {
				c.Send(c.Self(), &result{Key: "go", Index: int(end)})
			}
		})
		pid, err := e.sys.Spawn(props)
		if err != nil {
			return err
		}
		e.sys.Root().Send(pid, &result{Key: "go"})
	}
	for seq := range msgs {
		for _, r := range receivers {
			if err := e.sys.Send(e.ctx, r, fifoPack(e.rank, 0, seq)); err != nil {
				return err
			}
		}
	}
	if e.rank == 0 {
		for _, key := range []string{"fifo-spawned", "fifo-named"} {
			r, err := e.recvResult(key, -1)
			if err != nil {
				return err
			}
			if r.Err != "" || r.Count != want {
				return failf("%s receiver: %d messages, want %d: %s", key, r.Count, want, r.Err)
			}
		}
	}
	return nil
}
