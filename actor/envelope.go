package actor

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrBadEnvelope reports envelope bytes that do not parse.
var ErrBadEnvelope = errors.New("actor: malformed envelope")

// Envelope kinds.
const (
	kindUser   = 1
	kindSystem = 2
)

// Envelope flags.
const (
	flagTarget = 1 << iota // the target id is present (inbox delivery)
	flagSender
	flagHeader
	flagsKnown = flagTarget | flagSender | flagHeader
)

// maxHeaderPairs bounds the header of one envelope.
const maxHeaderPairs = 1 << 10

// envelope is one message on the wire, the body of a frame entry:
//
//	kind(1) flags(1)
//	[target id]                        if flagTarget
//	[sender rank, sender id, request]  if flagSender
//	[pair count, (key, value)*]        if flagHeader
//	type name, payload (the rest)
//
// Strings are a uvarint length then bytes; ranks and request ids uvarints.
type envelope struct {
	kind       byte
	target     string
	hasSender  bool
	senderRank int
	senderID   string
	requestID  uint32
	header     map[string]string
	typeName   string
	payload    []byte
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendEnvelope encodes e after dst.
func appendEnvelope(dst []byte, e *envelope) []byte {
	return append(appendEnvelopeHead(dst, e), e.payload...)
}

// appendEnvelopeHead encodes e after dst up to its type name: the payload
// goes right after it, so that it can be encoded in place.
func appendEnvelopeHead(dst []byte, e *envelope) []byte {
	var flags byte
	if e.target != "" {
		flags |= flagTarget
	}
	if e.hasSender {
		flags |= flagSender
	}
	if len(e.header) > 0 {
		flags |= flagHeader
	}
	dst = append(dst, e.kind, flags)
	if e.target != "" {
		dst = appendString(dst, e.target)
	}
	if e.hasSender {
		dst = binary.AppendUvarint(dst, uint64(e.senderRank))
		dst = appendString(dst, e.senderID)
		dst = binary.AppendUvarint(dst, uint64(e.requestID))
	}
	if len(e.header) > 0 {
		dst = binary.AppendUvarint(dst, uint64(len(e.header)))
		for k, v := range e.header {
			dst = appendString(dst, k)
			dst = appendString(dst, v)
		}
	}
	return appendString(dst, e.typeName)
}

// envelopeReader walks an envelope's bytes.
type envelopeReader struct {
	b   []byte
	err error
}

func (r *envelopeReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrBadEnvelope, what)
	}
}

func (r *envelopeReader) uvarint(what string, limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > limit {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *envelopeReader) bytes(what string) []byte {
	n := r.uvarint(what, uint64(len(r.b)))
	if r.err == nil && n > uint64(len(r.b)) {
		r.fail(what + " past the end")
	}
	if r.err != nil {
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *envelopeReader) string(what string) string { return string(r.bytes(what)) }

// parseEnvelope decodes b into e. Strings are copied; e.payload aliases b.
// Bytes that are not an envelope give ErrBadEnvelope.
func parseEnvelope(b []byte, e *envelope) error {
	return parseEnvelopeWith(b, e, func(name []byte) string { return string(name) })
}

// parseEnvelopeWith is parseEnvelope with the type name made by intern, so
// that the names seen again and again are not allocated each time.
func parseEnvelopeWith(b []byte, e *envelope, intern func([]byte) string) error {
	*e = envelope{}
	if len(b) < 2 {
		return fmt.Errorf("%w: %d bytes", ErrBadEnvelope, len(b))
	}
	e.kind, b = b[0], b[1:]
	flags := b[0]
	r := envelopeReader{b: b[1:]}
	if e.kind != kindUser && e.kind != kindSystem {
		return fmt.Errorf("%w: kind %d", ErrBadEnvelope, e.kind)
	}
	if flags&^flagsKnown != 0 {
		return fmt.Errorf("%w: flags %#x", ErrBadEnvelope, flags)
	}
	if flags&flagTarget != 0 {
		if e.target = r.string("target"); r.err == nil && e.target == "" {
			r.fail("empty target")
		}
	}
	if flags&flagSender != 0 {
		e.hasSender = true
		e.senderRank = int(r.uvarint("sender rank", 1<<31-1))
		e.senderID = r.string("sender id")
		e.requestID = uint32(r.uvarint("request id", 1<<32-1))
	}
	if flags&flagHeader != 0 {
		n := r.uvarint("header size", maxHeaderPairs)
		if r.err == nil && n == 0 {
			r.fail("empty header")
		}
		e.header = make(map[string]string, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			k := r.string("header key")
			e.header[k] = r.string("header value")
		}
	}
	name := r.bytes("type name")
	if r.err == nil && len(name) == 0 {
		r.fail("empty type name")
	}
	if r.err != nil {
		return r.err
	}
	e.typeName = intern(name)
	e.payload = r.b
	return nil
}
