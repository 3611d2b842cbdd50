package actor

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	pa "github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/rmactor/rmactor/mailbox"
)

// Undeliverable stands in dead letters for a message that could not be
// decoded: its type name and why.
type Undeliverable struct {
	Type   string
	Reason error
	Sender *PID // the requester, if the message was a request
}

// handler is the System as the mailbox layer's Handler: the callbacks
// the rank's dispatcher makes, kept off the System's own methods.
type handler System

var _ mailbox.Handler = (*handler)(nil)

// decodeEnvelope parses and decodes one envelope body. On error, env holds
// whatever parsed (for the dead letter's sender).
func (s *System) decodeEnvelope(body []byte, env *envelope) (any, error) {
	if err := parseEnvelopeWith(body, env, s.names.intern); err != nil {
		return nil, err
	}
	msg, err := s.decode(env.typeName, env.payload)
	if err != nil {
		return nil, err
	}
	if !env.hasSender && env.header == nil {
		return msg, nil
	}
	me := &pa.MessageEnvelope{Header: env.header, Message: msg}
	if env.hasSender {
		me.Sender = s.senderPID(env)
	}
	return me, nil
}

func (s *System) senderPID(env *envelope) *pa.PID {
	if !env.hasSender || env.senderRank >= len(s.addrs) {
		return nil
	}
	return &pa.PID{Address: s.addrs[env.senderRank], Id: env.senderID, RequestId: env.requestID}
}

// Decode implements mailbox.Handler.
func (h *handler) Decode(target *pa.PID, body []byte) (any, bool, bool) {
	s := (*System)(h)
	var env envelope
	msg, err := s.decodeEnvelope(body, &env)
	if err != nil {
		s.deadIncoming(target, &env, err)
		return nil, false, false
	}
	return msg, env.kind == kindSystem, true
}

// DeadLetter implements mailbox.Handler.
func (h *handler) DeadLetter(target string, body []byte, reason error) {
	s := (*System)(h)
	var env envelope
	msg, err := s.decodeEnvelope(body, &env)
	if env.target == "" {
		env.target = target
	}
	if err == nil {
		_, m, sender := pa.UnwrapEnvelope(msg)
		s.publishDead(s.targetPID(&env), m, sender, reason)
		return
	} else {
		reason = errors.Join(reason, err)
	}
	s.deadIncoming(nil, &env, reason)
}

// DeadMessage implements mailbox.Handler.
func (h *handler) DeadMessage(target *pa.PID, msg any) {
	s := (*System)(h)
	_, m, sender := pa.UnwrapEnvelope(msg)
	s.publishDead(target, m, sender, mailbox.ErrStale)
}

// Inbox implements mailbox.Handler: a message for a named actor, a future,
// or a system message, resolved by id on this rank.
func (h *handler) Inbox(body []byte) bool {
	s := (*System)(h)
	var env envelope
	msg, err := s.decodeEnvelope(body, &env)
	if err != nil {
		s.deadIncoming(nil, &env, err)
		return false
	}
	if env.target == "" {
		s.deadIncoming(nil, &env, fmt.Errorf("%w: inbox envelope without a target", ErrBadEnvelope))
		return false
	}
	pid := pa.NewPID(s.addrs[s.rank], env.target)
	proc, ok := s.as.ProcessRegistry.Get(pid)
	if !ok && s.cfg.activate != nil {
		proc = s.activate(pid, proc)
	}
	if s.mb.Deliver(env.target, msg, env.kind == kindSystem) {
		return true
	}
	if env.kind == kindSystem {
		proc.SendSystemMessage(pid, msg)
	} else {
		proc.SendUserMessage(pid, msg)
	}
	return false
}

// activate spawns the virtual actor pid names, if the activator knows it,
// and returns its process; otherwise dead, the dead-letter process.
func (s *System) activate(pid *pa.PID, dead pa.Process) pa.Process {
	props, ok := s.cfg.activate(pid.Id)
	if !ok {
		return dead
	}
	if _, err := s.as.Root.SpawnNamed(props, pid.Id); err != nil && !errors.Is(err, pa.ErrNameExists) {
		s.log.Warn("activating a virtual actor failed", zap.String("id", pid.Id), zap.Error(err))
		return dead
	}
	proc, _ := s.as.ProcessRegistry.Get(pid)
	return proc
}

func (s *System) targetPID(env *envelope) *pa.PID {
	if env.target == "" {
		return nil
	}
	return pa.NewPID(s.addrs[s.rank], env.target)
}

// deadIncoming reports an envelope that arrived and cannot be delivered.
func (s *System) deadIncoming(target *pa.PID, env *envelope, reason error) {
	if target == nil {
		target = s.targetPID(env)
	}
	sender := s.senderPID(env)
	s.publishDead(target, &Undeliverable{Type: env.typeName, Reason: reason, Sender: sender}, sender, reason)
}

// deadOutgoing reports a message this rank could not send.
func (s *System) deadOutgoing(target *pa.PID, msg any, reason error) {
	_, m, sender := pa.UnwrapEnvelope(msg)
	if _, isErr := m.(*DeliveryError); sender == nil && !isErr && isReplyAddress(target) {
		// A reply that cannot go back: the requester waits for it, so
		// it gets the reason instead.
		s.as.Root.Send(target, newDeliveryError(s.rank, fmt.Errorf("the reply: %w", reason)))
	}
	s.publishDead(target, m, sender, reason)
}

// isReplyAddress reports whether pid is where a requester waits for a
// reply: a protoactor future or a System.Request.
func isReplyAddress(pid *pa.PID) bool {
	return pid != nil && (strings.HasPrefix(pid.Id, "future$") || strings.HasPrefix(pid.Id, "request$"))
}

// publishDead logs a dead letter with its reason and publishes it on the
// event stream. A requester (the message had a sender) gets a
// DeliveryError with the reason at once, across ranks too; the event then
// names no sender, or protoactor would answer the requester a second time
// (a protoactor future keeps the last answer, not the first).
func (s *System) publishDead(target *pa.PID, msg any, sender *pa.PID, reason error) {
	level := zap.WarnLevel
	switch msg.(type) {
	case *pa.DeadLetterResponse, *DeliveryError:
		level = zap.DebugLevel
	}
	if errors.Is(reason, mailbox.ErrStale) {
		level = zap.DebugLevel
	}
	if ce := s.log.Check(level, "dead letter"); ce != nil {
		ce.Write(zap.Stringer("target", pidString{target}), zap.String("type", fmt.Sprintf("%T", msg)),
			zap.Stringer("sender", pidString{sender}), zap.Error(reason))
	}
	if _, isErr := msg.(*DeliveryError); sender != nil && !isErr {
		s.as.Root.Send(sender, newDeliveryError(s.rank, reason))
		sender = nil
	}
	s.as.EventStream.Publish(&pa.DeadLetterEvent{PID: target, Message: msg, Sender: sender})
}

type pidString struct{ pid *pa.PID }

func (p pidString) String() string {
	if p.pid == nil {
		return "-"
	}
	return p.pid.Address + "/" + p.pid.Id
}

// nameCache interns message type names read from the wire. Lookups take
// no lock: the map is copied on write (once per name) and read through an
// atomic pointer (for every message).
type nameCache struct {
	mu sync.Mutex // serialises writers
	m  atomic.Pointer[map[string]string]
}

// maxNames bounds the cache: garbage names must not grow it without end.
const maxNames = 1 << 12

func (c *nameCache) intern(b []byte) string {
	if m := c.m.Load(); m != nil {
		if s, ok := (*m)[string(b)]; ok {
			return s
		}
	}
	s := string(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[string]string{}
	if m := c.m.Load(); m != nil && len(*m) < maxNames {
		next = maps.Clone(*m)
	}
	next[s] = s
	c.m.Store(&next)
	return s
}
