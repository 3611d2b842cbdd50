package codec

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
)

// A Codec encodes the messages that cross ranks as a type name and payload
// bytes, and decodes them on the receiving rank.
//
// A Codec is immutable once New has returned it and safe for concurrent use
// by any number of goroutines. The zero Codec, and a nil *Codec, handle
// protobuf messages and the built-in Go types (see BuiltinNames) only.
type Codec struct {
	byName map[string]*goType
	byType map[reflect.Type]*goType
	names  []string // registered names, sorted
	walker walker
	protos *protoCache
}

// New returns a Codec that encodes every proto.Message with protobuf, and the
// built-in Go types (see BuiltinNames) and the Go types registered with Type
// options with CBOR.
//
// New fails, with an error wrapping ErrInvalidName, if an Option is nil or
// reports a bad registration (see Type).
func New(opts ...Option) (*Codec, error) {
	cfg := &config{
		byName: map[string]*goType{},
		byType: map[reflect.Type]*goType{},
		plans:  plans{},
		known:  map[reflect.Type]bool{},
	}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: option %d is nil", ErrInvalidName, i)
		}
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(cfg.byName))
	for name := range cfg.byName {
		names = append(names, name)
	}
	slices.Sort(names)
	return &Codec{
		byName: cfg.byName,
		byType: cfg.byType,
		names:  names,
		walker: walker{plans: cfg.plans, known: cfg.known},
		protos: newProtoCache(),
	}, nil
}

// AppendEncode appends the payload of msg to dst and returns msg's type name
// with the extended slice.
//
// A proto.Message (including a nil pointer of a message type, which encodes as
// an empty message) is encoded with protobuf and named "pb:" followed by its
// full name, such as "pb:actor.PID"; the receiving program must link the
// message type in. A value whose dynamic type was registered with Type is
// encoded with CBOR and named as registered; failing that, a value of a
// built-in type (see BuiltinNames) is encoded with CBOR and named "go:"
// followed by its type, such as "go:int" or "go:map[string]float64". Any other
// msg, nil included, is an ErrUnknownType error. A value that cannot be
// encoded is an ErrEncode error: see ErrEncode. Every name returned is 1 to
// MaxNameLen bytes long.
//
// For a CBOR-encoded type, AppendEncode checks the payload against the nesting
// and size limits of Decode, so that a value too deep or too large fails here
// rather than on the receiving rank, and it detects cyclic values, which fail
// with ErrEncode. A cyclic protobuf message, by contrast, is invalid and must
// not be passed: protobuf's encoder does not detect the cycle and overflows
// the stack.
//
// On error, out is dst: its length is unchanged, though bytes of its
// capacity past its length may have been written.
func (c *Codec) AppendEncode(dst []byte, msg any) (name string, out []byte, err error) {
	return c.AppendEncodeGrow(dst, msg, nil)
}

// Grow returns a slice holding b's bytes with room for at least n more
// bytes past its length: a caller's way of choosing the memory a large
// payload is encoded into (a pooled buffer, say).
type Grow func(b []byte, n int) []byte

// AppendEncodeGrow is AppendEncode with a say in where the payload goes:
// when the payload's size is known before it is encoded (a protobuf
// message, a byte or text string) and dst has no room for it, the payload is encoded into
// grow(dst, size) rather than into memory the encoder allocates. A nil grow
// is AppendEncode. The result is the same bytes either way.
func (c *Codec) AppendEncodeGrow(dst []byte, msg any, grow Grow) (name string, out []byte, err error) {
	if msg == nil {
		return "", dst, fmt.Errorf("%w: nil message", ErrUnknownType)
	}
	if m, ok := msg.(proto.Message); ok {
		return c.protoCache().appendProto(dst, m, grow)
	}
	gt := c.lookupType(reflect.TypeOf(msg))
	if gt == nil {
		return "", dst, fmt.Errorf("%w: %T is neither a proto.Message nor a built-in or registered type", ErrUnknownType, msg)
	}
	if n := cborSizeHint(msg); grow != nil && n > 0 && cap(dst)-len(dst) < n {
		// A byte string or text string of known size: encode it into
		// room made once, not into a buffer grown by doubling.
		dst = grow(dst, n)
	}
	out, err = c.appendCBOR(dst, gt, msg)
	if err != nil {
		return "", dst, err
	}
	return gt.name, out, nil
}

// cborSizeHint is the encoded size of a byte or text string message (its
// length and a head of at most 9 bytes), 0 for any other message.
func cborSizeHint(msg any) int {
	switch m := msg.(type) {
	case []byte:
		return len(m) + 9
	case string:
		return len(m) + 9
	}
	return 0
}

// Decode decodes payload as a message of the type called name, as
// AppendEncode returned them, and returns the message: for a "pb:" name, a
// new proto.Message of that type (such as *actor.PID); for a "go:" name, a
// value of that built-in type (such as an int for "go:int"), whether or not
// the program registered the type under a name of its own; for a registered
// name, a value of the registered type T.
//
// Decode is safe on arbitrary names and bytes. A name that is not registered,
// a "go:" name of no built-in type, or a "pb:" name of no protobuf message
// linked into the program, is an ErrUnknownType error. Bytes that are not a
// valid encoding of the type are an ErrDecode error: for protobuf, whatever
// proto.Unmarshal rejects, with unknown fields kept rather than discarded; for
// CBOR, anything but exactly one well-formed data item of the type, a map with
// a repeated key, or a payload past the nesting and size limits. The message
// does not refer to payload's memory, which the caller may reuse.
func (c *Codec) Decode(name string, payload []byte) (any, error) {
	if len(name) > MaxNameLen {
		return nil, fmt.Errorf("%w: name %s is longer than %d bytes", ErrUnknownType, quoteName(name), MaxNameLen)
	}
	if strings.HasPrefix(name, protoPrefix) {
		return c.protoCache().decodeProto(name, payload)
	}
	gt := c.lookupName(name)
	if gt == nil {
		if strings.HasPrefix(name, builtinPrefix) {
			return nil, fmt.Errorf("%w: no built-in Go type is named %s", ErrUnknownType, quoteName(name))
		}
		return nil, fmt.Errorf("%w: no type is registered as %s", ErrUnknownType, quoteName(name))
	}
	return c.decodeCBOR(gt, payload)
}

// Names returns the names of the Go types registered with Type, sorted, in a
// new slice. The built-in Go types and protobuf messages, which need no
// registration, are not listed: BuiltinNames lists the former, which are the
// same in every Codec.
func (c *Codec) Names() []string {
	if c == nil {
		return []string{}
	}
	return slices.Clone(c.names)
}

// lookupType returns the type registered as t or, failing that, the built-in
// type t: a registration takes precedence, so a program that registered a
// built-in type keeps encoding it under its own name.
func (c *Codec) lookupType(t reflect.Type) *goType {
	if c != nil {
		if gt := c.byType[t]; gt != nil {
			return gt
		}
	}
	return builtins.byType[t]
}

// lookupName returns the built-in or registered type called name. No
// registered name starts with builtinPrefix.
func (c *Codec) lookupName(name string) *goType {
	if strings.HasPrefix(name, builtinPrefix) {
		return builtins.byName[name]
	}
	if c == nil {
		return nil
	}
	return c.byName[name]
}

func (c *Codec) protoCache() *protoCache {
	if c == nil {
		return nil
	}
	return c.protos
}
