package actortest

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
)

func supervisionCases() []testCase {
	return []testCase{
		{name: "Supervision/RestartAfterPanic", ranks: 3, min: 2, prog: func(Config) Program { return program(nil, restartAfterPanic) }},
	}
}

// boom is the value that makes a fragile actor panic.
const boom = 7

// fragileState outlives the incarnations of one fragile actor.
type fragileState struct {
	mu       sync.Mutex
	starts   int
	restarts int
	seen     []int64
}

// fragile records the Int64 values it gets (answering requests with
// them) and panics on boom; a request for result "status" answers with its
// starts, restarts and values.
func fragile(st *fragileState) actor.ReceiveFunc {
	return func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			st.mu.Lock()
			st.starts++
			st.mu.Unlock()
		case *actor.Restarting:
			st.mu.Lock()
			st.restarts++
			st.mu.Unlock()
		case *wrapperspb.Int64Value:
			if m.Value == boom {
				panic(fmt.Sprintf("actortest: fragile actor %s got %d", c.Self().Id, m.Value))
			}
			st.mu.Lock()
			st.seen = append(st.seen, m.Value)
			st.mu.Unlock()
			if c.Sender() != nil {
				c.Respond(m)
			}
		case *result:
			if m.Key == "status" {
				st.mu.Lock()
				c.Respond(&result{Key: "status", Count: int64(st.starts), Index: st.restarts, Values: slices.Clone(st.seen)})
				st.mu.Unlock()
			}
		}
	}
}

// restartAfterPanic: rank 1 hosts three fragile actors: one spawned from
// the root (the default supervision), a named one, and the child of a
// parent with a one-for-one strategy. Rank 0 sends each a sequence with
// one value that makes it panic: it is restarted, the other values are all
// processed in order (the failing one is dropped), requests to it and to
// rank 1 are still answered.
func restartAfterPanic(e *rankEnv) error {
	const a, b, msgs = 0, 1, 20
	switch e.rank {
	case b:
		top, err := e.sys.Spawn(actor.PropsFromFunc(fragile(&fragileState{})))
		if err != nil {
			return err
		}
		if _, err := e.sys.SpawnNamed(actor.PropsFromFunc(fragile(&fragileState{})), "fragile"); err != nil {
			return err
		}
		childState := &fragileState{}
		parent, err := e.sys.Spawn(actor.PropsFromFunc(func() actor.ReceiveFunc {
			var child *actor.PID
			return func(c actor.Context) {
				switch m := c.Message().(type) {
				case *actor.Started:
					child = c.Spawn(actor.PropsFromFunc(fragile(childState)))
				case *result:
					if m.Key == "child" {
						c.Respond(child)
					}
				}
			}
		}(), actor.WithSupervisor(actor.NewOneForOneStrategy(10, time.Minute, actor.DefaultDecider))))
		if err != nil {
			return err
		}
		v, err := e.sys.Request(e.ctx, parent, &result{Key: "child"})
		if err != nil {
			return err
		}
		child, ok := v.(*actor.PID)
		if !ok {
			return failf("parent answered %T %v, want the child's PID", v, v)
		}
		return e.sys.Send(e.ctx, collector(a), &idList{Key: "fragile", From: b, Total: 2, IDs: []string{top.Id, child.Id}})
	case a:
		l, err := recv(e.ctx, e, "the fragile actors' ids", func(l *idList) bool { return l.Key == "fragile" })
		if err != nil {
			return err
		}
		var want []int64
		for i := range int64(msgs) {
			if i != boom {
				want = append(want, i)
			}
		}
		for _, p := range []*actor.PID{actor.PIDOn(b, l.IDs[0]), actor.PIDOn(b, "fragile"), actor.PIDOn(b, l.IDs[1])} {
			for i := range int64(msgs) {
				if err := e.sys.Send(e.ctx, p, wrapperspb.Int64(i)); err != nil {
					return err
				}
			}
			v, err := e.sys.Request(e.ctx, p, &result{Key: "status"})
			if err != nil {
				return fmt.Errorf("status of %s after its panic: %w", pidString(p), err)
			}
			r, ok := v.(*result)
			if !ok {
				return failf("status of %s: %T %v", pidString(p), v, v)
			}
			if r.Count != 2 || r.Index != 1 || !slices.Equal(r.Values, want) {
				return failf("%s after a panic: %d starts, %d restarts, values %v; want 2, 1, %v",
					pidString(p), r.Count, r.Index, r.Values, want)
			}
			v, err = e.sys.Request(e.ctx, p, wrapperspb.Int64(100))
			if err != nil {
				return fmt.Errorf("request to %s after its restart: %w", pidString(p), err)
			}
			if r, ok := v.(*wrapperspb.Int64Value); !ok || r.Value != 100 {
				return failf("request to %s after its restart: %v", pidString(p), v)
			}
			v, err = e.sys.Request(e.ctx, echo(b), wrapperspb.Int64(101))
			if err != nil {
				return fmt.Errorf("rank %d's echo after a panic there: %w", b, err)
			}
			if r, ok := v.(*wrapperspb.Int64Value); !ok || r.Value != 101 {
				return failf("rank %d's echo after a panic there: %v", b, v)
			}
		}
	}
	return nil
}
