package actor

import (
	"fmt"
	"reflect"

	pa "github.com/asynkron/protoactor-go/actor"
)

// One rule set for every placement: a message to an actor of this rank is
// not encoded (that is the point of sharing a rank), but it must be one
// that could cross ranks. Every user message posted to an rmactor mailbox
// of this rank is checked: a type the codec does not know is a dead letter
// with codec.ErrUnknownType, reported and answered like one from another
// rank. With WithEncodeLocal, it is also encoded, size-checked and decoded
// into the copy the actor gets, as if it came from another rank.

// protoactorPkg is the package of protoactor's own messages (lifecycle,
// timeouts), which never cross ranks as user messages and are not checked.
var protoactorPkg = reflect.TypeFor[pa.PID]().PkgPath()

// checkedCopy applies localCopy to msg, a plain message or an envelope
// (whose header and sender it keeps).
func (s *System) checkedCopy(msg any) (any, error) {
	env, isEnv := msg.(*pa.MessageEnvelope)
	if !isEnv {
		return s.localCopy(msg)
	}
	v, err := s.localCopy(env.Message)
	if err != nil || v == env.Message {
		return msg, err
	}
	return &pa.MessageEnvelope{Header: env.Header, Message: v, Sender: env.Sender}, nil
}

// sendLocal sends msg to pid, an actor of this rank, checked once: to an
// rmactor mailbox directly (so that the mailbox does not check it again),
// to any other process through protoactor. A message that fails the check
// is not sent; the error is the caller's to return.
func (s *System) sendLocal(pid *PID, msg any) error {
	v, err := s.checkedCopy(msg)
	if err != nil {
		return err
	}
	if m, ok := s.mb.Lookup(pid.Id); ok {
		m.PostChecked(v)
		return nil
	}
	s.as.Root.Send(pid, v)
	return nil
}

// localCopy returns what an actor of this rank receives for m: m itself,
// after the type check, or with WithEncodeLocal a decoded copy.
func (s *System) localCopy(m any) (any, error) {
	if _, ok := m.(*DeliveryError); ok {
		return m, nil
	}
	if !s.cfg.encodeLocal {
		err := s.cfg.codec.Check(m)
		if err != nil && isProtoactorMessage(m) {
			return m, nil
		}
		return m, err
	}
	if isProtoactorMessage(m) {
		return m, nil
	}
	b := s.bufs.Get().(*buffers)
	defer s.bufs.Put(b)
	// Not the rank's large-buffer pool (growBody): nothing would give the
	// buffer back, since the payload is decoded here and dropped.
	name, payload, err := s.encode(b.payload[:0], m, nil)
	b.payload = payload
	if err != nil {
		return nil, err
	}
	// The envelope around it is a few dozen bytes; the size is checked
	// with a generous allowance for it.
	if err := s.mb.CheckSize(len(payload) + len(name) + envelopeAllowance); err != nil {
		return nil, err
	}
	v, err := s.decode(name, payload)
	if cap(b.payload) > maxPooledBuffer {
		*b = buffers{}
	}
	return v, err
}

// envelopeAllowance is what an envelope adds to a payload and its type
// name, bounded for the size check of same-rank messages.
const envelopeAllowance = 64

func isProtoactorMessage(m any) bool {
	t := reflect.TypeOf(m)
	if t == nil {
		return false
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == protoactorPkg
}

// Local implements mailbox.Handler: a user message posted by this rank to
// target's mailbox, checked (and copied with WithEncodeLocal). A message
// that fails is reported as a dead letter, its requester answered.
func (h *handler) Local(target *pa.PID, msg any) (any, bool) {
	s := (*System)(h)
	v, err := s.checkedCopy(msg)
	if err != nil {
		_, m, sender := pa.UnwrapEnvelope(msg)
		s.publishDead(target, m, sender, fmt.Errorf("actor: to %s: %w", target.Id, err))
		return nil, false
	}
	return v, true
}
