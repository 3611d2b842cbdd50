package actortest

import (
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
)

// closeCases run last: a failure here may take the whole process down.
func closeCases() []testCase {
	return []testCase{
		{name: "Close/WhileStoppedActorDrains", ranks: 2, min: 2, prog: func(Config) Program { return program(nil, closeWhileDraining) }},
	}
}

// closeWhileDraining: an actor spawned with claims stops with many messages
// still in its mailbox; its rank turns them into dead letters after the
// actor has terminated. Once Wait reports the actor terminated, the
// rank's work is done as far as the application can tell, and Close (on
// every rank) must succeed, however far the drain has gone.
func closeWhileDraining(e *rankEnv) error {
	const owner, extra = 1, 100000
	if e.rank != owner {
		return nil
	}
	gate := make(chan struct{})
	pid, err := e.sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if r, ok := c.Message().(*result); ok && r.Key == "gate" {
			select {
			case <-gate:
			case <-e.ctx.Done():
			}
		}
	}, actor.WithClaims(1)))
	if err != nil {
		return err
	}
	e.sys.Root().Send(pid, &result{Key: "gate"})
	for i := range int64(extra) {
		e.sys.Root().Send(pid, wrapperspb.Int64(i))
	}
	close(gate)
	return e.sys.Wait(e.ctx, pid)
}
