package actor

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	pa "github.com/asynkron/protoactor-go/actor"

	"github.com/rmactor/rmactor/mailbox"
)

// replyProcess is the reply address of one System.Request: a process in
// protoactor's registry that hands the first message it gets to the
// waiting caller. Unlike a protoactor Future it needs no goroutine and no
// timer, so a request whose ctx ends leaves nothing behind.
type replyProcess struct {
	s    *System
	got  chan any
	done atomic.Bool
}

// SendUserMessage takes the first reply. A reply from an actor of this
// rank meets the rules of one from another rank (localCopy); one that
// fails them is the request's error.
func (p *replyProcess) SendUserMessage(_ *pa.PID, msg any) {
	if p.done.CompareAndSwap(false, true) {
		_, m, _ := pa.UnwrapEnvelope(msg)
		v, err := p.s.localCopy(m)
		if err != nil {
			v = newDeliveryError(p.s.rank, err)
		}
		p.got <- v
	}
}

func (p *replyProcess) SendSystemMessage(*pa.PID, any) {}

func (p *replyProcess) Stop(*pa.PID) { p.done.Store(true) }

// Request sends msg to pid with a reply address and waits for the
// response. It returns:
//   - the reply;
//   - a *DeliveryError if the request or its reply could not be delivered
//     (too large, a type the codec does not know, an invalid PID, a stopped
//     actor: errors.Is matches the cause and ErrDeadLetter), at once;
//   - ErrInvalidPID for a PID that names no rank of this world;
//   - ErrRankClosed, within a fraction of a second, if the target's rank
//     closes its system or leaves the world before answering;
//   - ctx's error when ctx ends. Nothing is left waiting behind it.
func (s *System) Request(ctx context.Context, pid *PID, msg any) (any, error) {
	k, err := s.rankOf(pid)
	if err != nil {
		return nil, fmt.Errorf("actor: request: %w", err)
	}
	p := &replyProcess{s: s, got: make(chan any, 1)}
	self, ok := s.as.ProcessRegistry.Add(p, "request"+s.as.ProcessRegistry.NextId())
	if !ok {
		return nil, fmt.Errorf("actor: request to %s/%s: no reply address", pid.Address, pid.Id)
	}
	defer s.as.ProcessRegistry.Remove(self)
	if k == s.rank {
		env := &pa.MessageEnvelope{Message: msg, Sender: self}
		if err := s.sendLocal(pid, env); err != nil {
			return nil, fmt.Errorf("actor: request to %s/%s: %w", pid.Address, pid.Id, err)
		}
	} else {
		s.as.Root.RequestWithCustomSender(pid, msg, self)
	}
	v, err := s.await(ctx, k, p.got)
	if err != nil {
		return nil, fmt.Errorf("actor: request to %s/%s: %w", pid.Address, pid.Id, err)
	}
	return v, nil
}

// await waits for a reply on got, for ctx, or for rank k to close.
func (s *System) await(ctx context.Context, k int, got <-chan any) (any, error) {
	var tick <-chan time.Time
	if k != s.rank {
		t := time.NewTicker(mailbox.PresencePoll)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case v := <-got:
			return replyOrError(v, nil)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick:
			if !s.mb.PeerGone(k) {
				continue
			}
			// A reply the rank sent before it closed may still be on its
			// way through this rank's inbox.
			if err := s.mb.SettleInbox(ctx); err != nil {
				return nil, err
			}
			select {
			case v := <-got:
				return replyOrError(v, nil)
			default:
				return nil, fmt.Errorf("%w: rank %d", ErrRankClosed, k)
			}
		}
	}
}

// Wait blocks until every actor in pids has terminated (on any rank). It
// fails with ErrRankClosed if an actor's rank closes first (its actors are
// gone, but nobody can say so), and with ctx's error when ctx ends.
func (s *System) Wait(ctx context.Context, pids ...*PID) error {
	for _, pid := range pids {
		k, err := s.rankOf(pid)
		if err != nil {
			return fmt.Errorf("actor: wait: %w", err)
		}
		done := make(chan any, 1)
		props := pa.PropsFromFunc(func(c pa.Context) {
			switch m := c.Message().(type) {
			case *pa.Started:
				c.Watch(pid)
			case *pa.Terminated:
				if m.Who.Equal(pid) {
					done <- m
					c.Stop(c.Self())
				}
			}
		})
		w, err := s.as.Root.SpawnNamed(props, "wait$"+s.as.ProcessRegistry.NextId())
		if err != nil {
			return err
		}
		_, err = s.await(ctx, k, done)
		if err != nil {
			s.as.Root.Stop(w)
			return fmt.Errorf("actor: waiting for %s/%s: %w", pid.Address, pid.Id, err)
		}
	}
	return nil
}
