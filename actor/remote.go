package actor

import (
	pa "github.com/asynkron/protoactor-go/actor"

	"github.com/rmactor/rmactor/mailbox"
)

// remoteProcess is how a PID of another rank looks to protoactor: sending
// to it encodes the envelope and queues it for the target's mailbox ring
// (PIDs that carry a mailbox address) or the target rank's inbox (named
// actors, futures, and every system message). Nothing here blocks: a full
// ring keeps the batch in the outlet and the rank's flusher retries it.
type remoteProcess struct {
	s      *System
	user   mailbox.Target
	system mailbox.Target
	id     string
}

var _ pa.Process = (*remoteProcess)(nil)

// resolve is the AddressResolver for "rank:N" PIDs of other ranks.
func (s *System) resolve(pid *pa.PID) (pa.Process, bool) {
	k, err := s.rankOf(pid)
	if err != nil || k == s.rank {
		return nil, false
	}
	p := &remoteProcess{s: s, id: pid.Id, system: mailbox.Target{Rank: k, Inbox: true}}
	p.user, err = s.target(k, pid.Id, kindUser)
	if err != nil {
		return nil, false
	}
	return p, true
}

// target is where a user (or system) message for id on rank k goes.
func (s *System) target(k int, id string, kind byte) (mailbox.Target, error) {
	if kind == kindSystem {
		return mailbox.Target{Rank: k, Inbox: true}, nil
	}
	a, has, err := mailbox.ParseID(id)
	if err != nil {
		return mailbox.Target{}, err
	}
	if !has {
		return mailbox.Target{Rank: k, Inbox: true}, nil
	}
	return mailbox.Target{Rank: k, Address: a}, nil
}

func (p *remoteProcess) SendUserMessage(pid *pa.PID, msg any) {
	if err := p.s.sendRemote(p.user, p.id, kindUser, msg); err != nil {
		p.s.deadOutgoing(pid, msg, err)
	}
}

func (p *remoteProcess) SendSystemMessage(pid *pa.PID, msg any) {
	if err := p.s.sendRemote(p.system, p.id, kindSystem, msg); err != nil {
		p.s.deadOutgoing(pid, msg, err)
	}
}

func (p *remoteProcess) Stop(pid *pa.PID) {
	p.SendSystemMessage(pid, &pa.Stop{})
}

// buffers are one send's scratch space.
type buffers struct{ body, payload []byte }

// sendRemote encodes one envelope and queues it for t.
func (s *System) sendRemote(t mailbox.Target, id string, kind byte, msg any) error {
	b := s.bufs.Get().(*buffers)
	defer s.bufs.Put(b)
	header, message, sender := pa.UnwrapEnvelope(msg)
	e := envelope{kind: kind}
	if t.Inbox {
		e.target = id
	}
	if sender != nil {
		k, err := s.rankOf(sender)
		if err != nil {
			return err
		}
		e.hasSender, e.senderRank, e.senderID, e.requestID = true, k, sender.Id, sender.RequestId
	}
	if header != nil && header.Length() > 0 {
		e.header = header.ToMap()
	}
	var err error
	e.typeName, b.payload, err = s.cfg.codec.AppendEncode(b.payload[:0], message)
	if err != nil {
		return err
	}
	e.payload = b.payload
	b.body = appendEnvelope(b.body[:0], &e)
	return s.mb.Send(t, b.body)
}
