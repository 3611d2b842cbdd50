package cluster

import (
	"context"
	"fmt"

	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

// Termination detection: counting waves (Mattern's four-counter method).
//
// Every rank counts messages sent (handed to a mailbox or to another rank)
// and done (handled by an actor, delivered to a future, or dead-lettered);
// a message is counted sent before it can be taken anywhere and done only
// after its handler returned, so whatever it made the actor send is counted
// sent by then. A wave is: every rank publishes its two counters in the
// waves window, a barrier, rank 0 sums them and publishes its verdict, a
// barrier, every rank reads the verdict. Waves never overlap.
//
// Rank 0 declares the job quiescent at wave i when the done sum of wave i−1
// equals the sent sum of wave i. Proof: let S(t) and D(t) be the global
// counts, with D(t) ≤ S(t) always, and let b be the end of wave i−1. Every
// done counter of wave i−1 was read before b, so D_{i−1} ≤ D(b); every sent
// counter of wave i was read after b, so S_i ≥ S(b). D_{i−1} = S_i then
// gives D(b) ≥ S(b), hence D(b) = S(b): at b no message was in flight or
// being handled, and since once the program's own code has returned only a
// handler can send (or its mailbox on its behalf, before the message it
// handles is counted done), none ever will be again. The verdict is never
// premature, and once the job is quiescent two waves find it.
const (
	waveSent    = 0
	waveDone    = 8
	waveVerdict = 16
	waveBytes   = 24
)

// Quiesce waits until no message is in flight or being handled on any
// rank. It is collective: call it on every rank, once this rank's own code
// has stopped sending (Run calls it after the program returns). Every wave
// first flushes what this rank's conveyors hold (actor.System.Flush).
func (c *Cluster) Quiesce(ctx context.Context) error {
	self := c.Rank()
	var prevDone uint64
	var idle mailbox.Idler
	for wave := uint64(1); ; wave++ {
		// What a conveyor holds back is counted in flight (actor.Holder);
		// it goes out now, or the job would wait for it in vain.
		if err := c.sys.Flush(ctx); err != nil {
			return fmt.Errorf("cluster: quiesce: %w", err)
		}
		sent, done := c.sys.Counts()
		if err := c.waves.Store(self, waveSent, sent); err != nil {
			return err
		}
		if err := c.waves.Store(self, waveDone, done); err != nil {
			return err
		}
		if err := c.w.Barrier(ctx); err != nil {
			return fmt.Errorf("cluster: quiesce: %w", err)
		}
		if self == 0 {
			var sumSent, sumDone uint64
			for k := range c.Size() {
				s, err := c.waves.Load(k, waveSent)
				if err != nil {
					return err
				}
				d, err := c.waves.Load(k, waveDone)
				if err != nil {
					return err
				}
				sumSent += s
				sumDone += d
			}
			verdict := wave << 1
			if wave > 1 && prevDone == sumSent {
				verdict |= 1
			}
			prevDone = sumDone
			if err := c.waves.Store(0, waveVerdict, verdict); err != nil {
				return err
			}
		}
		if err := c.w.Barrier(ctx); err != nil {
			return fmt.Errorf("cluster: quiesce: %w", err)
		}
		v, err := c.waves.Load(0, waveVerdict)
		if err != nil {
			return err
		}
		if v>>1 != wave {
			return fmt.Errorf("%w: quiesce wave %d read rank 0's verdict for wave %d", rma.ErrCorrupt, wave, v>>1)
		}
		if v&1 == 1 {
			return nil
		}
		if err := idle.Pause(ctx); err != nil {
			return fmt.Errorf("cluster: quiesce: %w", err)
		}
	}
}
