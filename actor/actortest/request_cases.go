package actortest

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/mailbox"
)

func requestCases() []testCase {
	return []testCase{
		{name: "Request/AcrossRanks", ranks: 4, min: 2, prog: func(Config) Program { return program(nil, requestAcrossRanks) }},
	}
}

// Offsets the servers of rank k add to a request's value, so that a reply
// tells which actor answered.
func namedOffset(k int) int64   { return 1000 * int64(k+1) }
func spawnedOffset(k int) int64 { return 1000*int64(k+1) + 500 }

// adder answers an Int64 request with the value plus off.
func adder(off int64) *actor.Props {
	return actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
			c.Respond(wrapperspb.Int64(m.Value + off))
		}
	})
}

// requestAcrossRanks: every rank hosts a named adder and a spawned one
// (whose PID travels, as a message, through rank 0's collector to every
// rank); every rank requests every other rank's adders with System.Request,
// with RootContext.RequestFuture, and from inside an actor.
func requestAcrossRanks(e *rankEnv) error {
	const reps = 20
	if _, err := e.sys.SpawnNamed(adder(namedOffset(e.rank)), "adder"); err != nil {
		return err
	}
	own, err := e.sys.Spawn(adder(spawnedOffset(e.rank)))
	if err != nil {
		return err
	}
	if _, has, err := mailbox.ParseID(own.Id); err != nil || !has {
		return failf("spawned actor %s has no mailbox address in its id (%v)", pidString(own), err)
	}
	// Gather the spawned PIDs on rank 0, which sends them all to every rank.
	servers := make([]*actor.PID, e.size)
	servers[e.rank] = own
	if e.rank != 0 {
		if err := e.sys.Send(e.ctx, collector(0), own); err != nil {
			return err
		}
	}
	for range e.size - 1 {
		p, err := recv[*actor.PID](e.ctx, e, "a spawned adder's PID", nil)
		if err != nil {
			return err
		}
		k, err := actor.RankOfPID(p)
		if err != nil {
			return err
		}
		if k == e.rank || servers[k] != nil {
			return failf("rank %d: PID %s received twice or from itself", e.rank, pidString(p))
		}
		servers[k] = p
	}
	if e.rank == 0 {
		for _, k := range e.others() {
			for j, p := range servers {
				if j != k {
					if err := e.sys.Send(e.ctx, collector(k), p); err != nil {
						return err
					}
				}
			}
		}
	}

	check := func(how string, pid *actor.PID, v int64, want int64, got any, err error) error {
		if err != nil {
			return fmt.Errorf("%s %s(%d): %w", how, pidString(pid), v, err)
		}
		r, ok := got.(*wrapperspb.Int64Value)
		if !ok || r.Value != want {
			return failf("%s %s(%d): reply %T %v, want %d", how, pidString(pid), v, got, got, want)
		}
		return nil
	}
	for _, k := range e.others() {
		named := actor.PIDOn(k, "adder")
		for i := range int64(reps) {
			v, err := e.sys.Request(e.ctx, named, wrapperspb.Int64(i))
			if err := check("System.Request", named, i, i+namedOffset(k), v, err); err != nil {
				return err
			}
			v, err = e.sys.Request(e.ctx, servers[k], wrapperspb.Int64(i))
			if err := check("System.Request", servers[k], i, i+spawnedOffset(k), v, err); err != nil {
				return err
			}
			f := e.sys.Root().RequestFuture(servers[k], wrapperspb.Int64(i), time.Minute)
			v, err = awaitFuture(e.ctx, f)
			if err := check("RequestFuture", servers[k], i, i+spawnedOffset(k), v, err); err != nil {
				return err
			}
			f = e.sys.Root().RequestFuture(named, wrapperspb.Int64(i), time.Minute)
			v, err = awaitFuture(e.ctx, f)
			if err := check("RequestFuture", named, i, i+namedOffset(k), v, err); err != nil {
				return err
			}
		}
	}

	// From inside an actor: the client requests every other rank's adders
	// (replies come back to its own mailbox ring) and answers the root's
	// request once every reply checked out.
	want := map[int64]int64{} // request value → expected reply
	var targets []*actor.PID
	var values []int64
	next := int64(0)
	for _, k := range e.others() {
		for range reps {
			for _, p := range []*actor.PID{actor.PIDOn(k, "adder"), servers[k]} {
				off := namedOffset(k)
				if p == servers[k] {
					off = spawnedOffset(k)
				}
				targets = append(targets, p)
				values = append(values, next)
				want[next] = next + off
				next++
			}
		}
	}
	if next >= 500 {
		return failf("%d requests: the reply check needs fewer than 500", next)
	}
	client, err := e.sys.Spawn(actor.PropsFromFunc(func() actor.ReceiveFunc {
		var boss *actor.PID
		got := 0
		var bad string
		return func(c actor.Context) {
			switch m := c.Message().(type) {
			case *result:
				boss = c.Sender()
				for i, p := range targets {
					c.Request(p, wrapperspb.Int64(values[i]))
				}
			case *wrapperspb.Int64Value:
				got++
				// A reply is the request's value plus the answering
				// actor's offset, all below 1000.
				v := m.Value % 500
				if w, ok := want[v]; !ok || w != m.Value {
					bad += fmt.Sprintf("reply %d unexpected; ", m.Value)
				}
				delete(want, v)
				if got == len(targets) {
					c.Send(boss, &result{Count: int64(got), Err: bad})
				}
			}
		}
	}()))
	if err != nil {
		return err
	}
	v, err := e.sys.Request(e.ctx, client, &result{Key: "go"})
	if err != nil {
		return fmt.Errorf("client actor: %w", err)
	}
	r, ok := v.(*result)
	if !ok || r.Count != int64(len(targets)) || r.Err != "" {
		return failf("client actor: %T %+v, want %d good replies", v, v, len(targets))
	}
	return nil
}
