package actor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	pa "github.com/asynkron/protoactor-go/actor"

	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

// Errors a send, a request or a spawn can fail with, besides those of
// codec; each is the mailbox layer's error itself, so errors.Is matches
// either name.
var (
	// ErrRankClosed reports a request, a wait or a System.Send waiting
	// for room whose target rank has closed its actor system or returned
	// from its program: nothing will answer.
	ErrRankClosed = mailbox.ErrRankClosed
	// ErrUnknownKind reports a kind no rank registered (cluster).
	ErrUnknownKind = errors.New("actor: unknown actor kind")
	// ErrMessageTooLarge reports a message whose envelope is over the
	// maximum message size (WithMaxMessageBytes); nothing was sent.
	ErrMessageTooLarge = mailbox.ErrMessageTooLarge
	// ErrMailboxFull reports a System.Send that stopped waiting for room
	// in a full mailbox (its context ended; the error wraps that too).
	ErrMailboxFull = mailbox.ErrMailboxFull
	// ErrNoRoom reports a spawn that found no room for another mailbox
	// in the rank's window (WithArenaBytes).
	ErrNoRoom = mailbox.ErrPoolExhausted
)

// DeliveryError is what a requester receives instead of a reply when its
// request, or the reply, could not be delivered: too large, a type the
// codec does not know, an invalid PID, a rank that closed, a stopped actor.
// It travels across ranks, and errors.Is matches both ErrDeadLetter and the
// cause (codec.ErrUnknownType, ErrMessageTooLarge, ErrInvalidPID,
// ErrRankClosed, …) on the requester's rank. System.Request and Result
// return it as their error; an actor that requests with Context.Request
// gets it as a message.
type DeliveryError struct {
	Rank   int    // the rank where delivery failed
	Code   string // the cause, one of the codes below ("" if none fits)
	Reason string // the cause in words
}

// causes maps the codes of DeliveryError to the errors they stand for, in
// the order they are tried.
var causes = [...]struct {
	code string
	err  error
}{
	{"too-large", mailbox.ErrMessageTooLarge},
	{"unknown-type", codec.ErrUnknownType},
	{"encode", codec.ErrEncode},
	{"decode", codec.ErrDecode},
	{"invalid-pid", ErrInvalidPID},
	{"invalid-rank", rma.ErrInvalidRank},
	{"rank-closed", ErrRankClosed},
	{"unknown-kind", ErrUnknownKind},
	{"stale", mailbox.ErrStale},
	{"bad-envelope", ErrBadEnvelope},
	{"closed", mailbox.ErrClosed},
}

func newDeliveryError(rank int, reason error) *DeliveryError {
	d := &DeliveryError{Rank: rank, Reason: reason.Error()}
	for _, c := range causes {
		if errors.Is(reason, c.err) {
			d.Code = c.code
			break
		}
	}
	return d
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("actor: undeliverable (rank %d): %s", e.Rank, e.Reason)
}

// Unwrap returns the cause's sentinel error, if the code names one.
func (e *DeliveryError) Unwrap() error {
	for _, c := range causes {
		if c.code == e.Code {
			return c.err
		}
	}
	return nil
}

// Is makes every DeliveryError match ErrDeadLetter: the message became a
// dead letter, for the reason it carries.
func (e *DeliveryError) Is(target error) bool { return target == ErrDeadLetter }

// deliveryErrorName is the wire name of a DeliveryError; it is encoded by
// the actor layer, not the codec, so that every program can decode it.
const deliveryErrorName = "rmactor:DeliveryError"

func (e *DeliveryError) appendTo(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(e.Rank))
	b = appendString(b, e.Code)
	return appendString(b, e.Reason)
}

func parseDeliveryError(b []byte) (*DeliveryError, error) {
	r := envelopeReader{b: b}
	e := &DeliveryError{Rank: int(r.uvarint("delivery error rank", 1<<31-1))}
	e.Code = r.string("delivery error code")
	e.Reason = r.string("delivery error reason")
	if r.err == nil && len(r.b) != 0 {
		r.fail("bytes after a delivery error")
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: %w", codec.ErrDecode, r.err)
	}
	return e, nil
}

// encode appends msg's payload to dst and returns its wire type name:
// DeliveryError by the actor layer, everything else by the codec.
func (s *System) encode(dst []byte, msg any, grow codec.Grow) (string, []byte, error) {
	if d, ok := msg.(*DeliveryError); ok && d != nil {
		return deliveryErrorName, d.appendTo(dst), nil
	}
	return s.cfg.codec.AppendEncodeGrow(dst, msg, grow)
}

// growBody makes room for an outgoing envelope's payload: in the rank's
// pool of large-envelope buffers when the envelope will not fit a pooled
// send buffer (the outlet gives it back once staged), by append otherwise.
func (s *System) growBody(b []byte, n int) []byte {
	if len(b)+n <= maxPooledBuffer {
		return slices.Grow(b, n)
	}
	return append(s.mb.Buffer(len(b)+n), b...)
}

// wireName is the type name encode gives msg.
func (s *System) wireName(msg any) (string, error) {
	if d, ok := msg.(*DeliveryError); ok && d != nil {
		return deliveryErrorName, nil
	}
	return s.cfg.codec.Name(msg)
}

// decode is encode's inverse.
func (s *System) decode(name string, payload []byte) (any, error) {
	if name == deliveryErrorName {
		return parseDeliveryError(payload)
	}
	return s.cfg.codec.Decode(name, payload)
}

// Result waits for f and returns its reply, or an error: the request's
// DeliveryError (errors.Is matches its cause), ErrDeadLetter, or
// ErrTimeout.
func Result(f *Future) (any, error) {
	v, err := f.Result()
	return replyOrError(v, err)
}

func replyOrError(v any, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	switch m := v.(type) {
	case *DeliveryError:
		return nil, m
	case *pa.DeadLetterResponse:
		return nil, ErrDeadLetter
	}
	return v, nil
}
