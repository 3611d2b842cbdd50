package actor

import (
	"context"
	"strings"

	pa "github.com/asynkron/protoactor-go/actor"
)

// Abort tears this rank's system down on this rank alone, for a rank whose
// program failed: unlike Close it is not collective, so it works whatever
// the other ranks do (gone, failing, still sending). It
//
//   - ends the mailbox layer with mailbox.Rank.Abort: no more sends, the
//     poller, flusher and workers stopped, queued batches dropped, no
//     window freed collectively;
//   - then, once nothing of the rank runs any more, answers every request
//     still waiting for a reply on this rank with a dead letter (Request
//     and futures fail with ErrDeadLetter). That stops the future's timer:
//     until its timeout (an hour for a Request whose ctx has no deadline)
//     the timer would keep the whole system, windows included, alive
//     (System.Request needs none of this: its reply address is a registry
//     entry removed when it returns);
//   - shuts the protoactor actor system down.
//
// ctx bounds only the wait for goroutines still running an actor's
// handler; an already cancelled ctx is fine (see mailbox.Rank.Abort). If
// that wait ends with a handler still running, pending requests are left
// to their timeouts: a protoactor future takes one completion and does not
// synchronise a second one, which the handler might be about to make.
//
// Abort may follow Close, or a Close that failed, and may be called more
// than once. It must not run while other goroutines still use the system
// (cluster.RunOn calls it once the program has returned). Close after
// Abort fails with mailbox.ErrClosed.
func (s *System) Abort(ctx context.Context) error {
	err := s.mb.Abort(ctx)
	if err == nil {
		// No poller and no mailbox run: no reply can reach a future
		// while it is answered here.
		s.answerFutures()
	}
	if !s.as.IsStopped() {
		s.as.Shutdown()
	}
	return err
}

// answerFutures completes every pending future of this rank as a dead
// letter. protoactor registers a future under the id "future"+NextId()
// until it completes; actors are *pa.ActorProcess, never futures.
func (s *System) answerFutures() {
	type pending struct {
		pid  *pa.PID
		proc pa.Process
	}
	var futures []pending
	addr := s.as.ProcessRegistry.Address
	for _, bucket := range s.as.ProcessRegistry.LocalPIDs.LocalPIDs {
		// IterCb reads under the shard's lock and starts no goroutine
		// (Items and IterBuffered start one per shard).
		bucket.IterCb(func(id string, v any) {
			proc, ok := v.(pa.Process)
			if !ok || !strings.HasPrefix(id, "future") {
				return
			}
			if _, actor := proc.(*pa.ActorProcess); actor {
				return
			}
			futures = append(futures, pending{pa.NewPID(addr, id), proc})
		})
	}
	// Outside the shards' locks: completing a future removes it from the
	// registry.
	for _, f := range futures {
		f.proc.SendUserMessage(f.pid, &pa.DeadLetterResponse{Target: f.pid})
	}
}
