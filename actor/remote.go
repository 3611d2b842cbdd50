package actor

import (
	"fmt"

	pa "github.com/asynkron/protoactor-go/actor"

	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/mailbox"
)

// remoteProcess is how a PID of another rank looks to protoactor: sending
// to it encodes the envelope and queues it for the target's mailbox ring
// (PIDs that carry a mailbox address) or the target rank's inbox (named
// actors, futures, and every system message). Nothing here blocks: a full
// ring keeps the batch in the outlet and the rank's flusher retries it.
type remoteProcess struct {
	s      *System
	id     string
	inc    uint32
	user   *mailbox.Outlet // nil: the user path failed, with err
	err    error
	system *mailbox.Outlet
	inbox  bool // user messages go through the inbox too
}

var _ pa.Process = (*remoteProcess)(nil)

// resolve is the AddressResolver for "rank:N" PIDs of other ranks.
func (s *System) resolve(pid *pa.PID) (pa.Process, bool) {
	p, err := s.remote(pid)
	if err != nil {
		return invalidProcess{s, err}, true
	}
	return p, true
}

// invalidProcess stands for a PID that names no rank of this world (or no
// mailbox a rank can have): whatever is sent to it is a dead letter with
// the reason, and a requester gets it at once (ErrInvalidPID).
type invalidProcess struct {
	s   *System
	err error
}

func (p invalidProcess) SendUserMessage(pid *pa.PID, msg any) { p.s.deadOutgoing(pid, msg, p.err) }

func (p invalidProcess) SendSystemMessage(pid *pa.PID, msg any) { p.s.deadOutgoing(pid, msg, p.err) }

func (p invalidProcess) Stop(pid *pa.PID) {}

type remoteKey struct {
	rank int
	id   string
}

// maxRemoteCache bounds the cache of resolved PIDs (about 320 bytes each);
// it is cleared when full. A PID missing from it costs one address parse
// and one outlet lookup to resolve again.
const maxRemoteCache = 1 << 13

// remote resolves a PID of another rank. PIDs with a mailbox address are
// cached; others (named actors, futures) are cheap to resolve.
func (s *System) remote(pid *pa.PID) (*remoteProcess, error) {
	k, err := s.rankOf(pid)
	if err != nil {
		return nil, err
	}
	if k == s.rank {
		return nil, fmt.Errorf("%w: %s is local", ErrInvalidPID, pid.Id)
	}
	key := remoteKey{k, pid.Id}
	s.cacheMu.RLock()
	p, ok := s.cache[key]
	s.cacheMu.RUnlock()
	if ok {
		return p, nil
	}
	inbox, err := s.mb.Outlet(mailbox.Target{Rank: k, Inbox: true})
	if err != nil {
		return nil, err
	}
	p = &remoteProcess{s: s, id: pid.Id, system: inbox}
	a, has, err := mailbox.ParseID(pid.Id)
	switch {
	case err != nil:
		p.err = err
	case !has:
		p.user, p.inbox = inbox, true
		return p, nil
	default:
		p.inc = a.Incarnation
		p.user, p.err = s.mb.Outlet(mailbox.Target{Rank: k, Address: a})
	}
	s.cacheMu.Lock()
	if len(s.cache) >= maxRemoteCache {
		clear(s.cache)
	}
	s.cache[key] = p
	s.cacheMu.Unlock()
	return p, nil
}

func (p *remoteProcess) SendUserMessage(pid *pa.PID, msg any) {
	if err := p.sendUser(msg); err != nil {
		p.s.deadOutgoing(pid, msg, err)
	}
}

func (p *remoteProcess) sendUser(msg any) error {
	if p.err != nil {
		return p.err
	}
	if p.inbox {
		return p.s.sendRemote(p.user, 0, p.id, kindUser, msg)
	}
	return p.s.sendRemote(p.user, p.inc, "", kindUser, msg)
}

// SendSystemMessage sends system messages the way user messages to the same
// PID go (the actor's ring, or the inbox), so that one sender's Watch and
// PoisonPill arrive in the order they were sent.
func (p *remoteProcess) SendSystemMessage(pid *pa.PID, msg any) {
	var err error
	switch {
	case p.inbox || p.err != nil:
		err = p.s.sendRemote(p.system, 0, p.id, kindSystem, msg)
	default:
		// The id travels too: a Watch for an actor that has stopped
		// must come back as Terminated naming it.
		err = p.s.sendRemote(p.user, p.inc, p.id, kindSystem, msg)
	}
	if err != nil {
		p.s.deadOutgoing(pid, msg, err)
	}
}

func (p *remoteProcess) Stop(pid *pa.PID) {
	p.SendSystemMessage(pid, &pa.Stop{})
}

// buffers are one send's scratch space.
type buffers struct{ body, payload []byte }

// sendRemote encodes one envelope and queues it in o. target is the id for
// inbox delivery and for system messages, empty for user messages to a
// mailbox ring.
func (s *System) sendRemote(o *mailbox.Outlet, inc uint32, target string, kind byte, msg any) error {
	b := s.bufs.Get().(*buffers)
	defer s.bufs.Put(b)
	header, message, sender := pa.UnwrapEnvelope(msg)
	e := envelope{kind: kind, target: target}
	if sender != nil {
		k, err := s.rankOf(sender)
		if err != nil {
			return err
		}
		e.hasSender, e.senderRank, e.senderID, e.requestID = true, k, sender.Id, sender.RequestId
	}
	if header != nil && header.Length() > 0 {
		if header.Length() > maxHeaderPairs {
			return fmt.Errorf("%w: %d header pairs, at most %d", ErrBadEnvelope, header.Length(), maxHeaderPairs)
		}
		e.header = header.ToMap()
	}
	// The payload is encoded in place, right after the envelope's head:
	// a large message is copied once, not twice.
	var err error
	if e.typeName, err = s.wireName(message); err != nil {
		return err
	}
	b.body = appendEnvelopeHead(b.body[:0], &e)
	var name string
	if name, b.body, err = s.encode(b.body, message, s.growBody); err != nil {
		return err
	}
	if name != e.typeName {
		return fmt.Errorf("%w: %T encoded as %q, named %q", codec.ErrEncode, message, name, e.typeName)
	}
	if cap(b.body) <= maxPooledBuffer {
		return o.Send(inc, b.body)
	}
	// A large message: the outlet keeps its envelope rather than a copy,
	// and the buffers leave the pool, which would keep them alive.
	body := b.body
	*b = buffers{}
	return o.Give(inc, body)
}

// maxPooledBuffer is the largest send buffer kept for reuse.
const maxPooledBuffer = 64 << 10
