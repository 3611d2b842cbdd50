package mailbox

import (
	"context"
	"fmt"
)

// Abort ends this rank's mailboxes on this rank alone, for a rank whose
// program failed. Unlike Close it is not collective: it never waits for
// another rank (which may be gone, failing, or still sending), flushes
// nothing and frees no window, since freeing a window is collective. It
//
//   - refuses further sends and ring reservations (they fail with
//     ErrClosed, and senders report dead letters);
//   - keeps every later mailbox run off the rings: what other ranks put
//     there stays there;
//   - stops the poller, its followers, the flusher and the idle workers;
//   - waits until they have returned and no mailbox is running. A
//     goroutine still running an actor's handler stops as soon as the
//     handler returns: if that takes longer than ctx, Abort returns ctx's
//     error (with an already cancelled ctx it only signals).
//
// Afterwards the rank has no goroutine left. A message still posted to one
// of its actors from this rank runs that actor once more, on a worker that
// ends when the mailbox is empty.
//
// Batches still queued for other ranks, and frames in this rank's rings,
// are dropped without dead letters: the job is failing. Once the Rank is
// no longer referenced, its windows' memory goes with it (in process); under
// MPI, a window not freed collectively stays allocated until MPI is
// finalised, which a failing job does at once.
//
// Abort may follow Close, or a Close that failed, and may be called more
// than once; Close after Abort returns ErrClosed. If Close is still under
// way, its later steps fail (the goroutines it would stop are stopped).
func (r *Rank) Abort(ctx context.Context) error {
	r.closed.Store(true)
	r.closing.Store(true)
	r.stopOnce.Do(func() { close(r.stop) })
	r.wakeSelf()
	stopped := make(chan struct{})
	go func() {
		r.wg.Wait() // the poller, its followers and the flusher
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		return fmt.Errorf("mailbox: abort on rank %d: the poller or the flusher is still running: %w", r.rank, ctx.Err())
	}
	var idle Idler
	for r.active.Load() > 0 {
		if err := idle.Pause(ctx); err != nil {
			return fmt.Errorf("mailbox: abort on rank %d: %d mailbox(es) still running: %w", r.rank, r.active.Load(), err)
		}
	}
	r.closeWakeups()
	return nil
}

// ringReady reports whether the mailbox should run again for frames in its
// ring. Once the rank is closing no run takes from the ring (nextUser), so
// the poller's mark alone must not keep the mailbox running: it would loop
// in process for ever, never idle, and Abort (or Close) would wait for it.
func (m *Mailbox) ringReady() bool {
	return m.ready.Load() && (m.rank == nil || !m.rank.closing.Load())
}
