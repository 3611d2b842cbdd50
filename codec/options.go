package codec

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// MaxNameLen is the longest type name, in bytes, that the codec registers,
// returns from AppendEncode or accepts in Decode.
const MaxNameLen = 255

// protoPrefix starts the name of every protobuf message and of no registered
// name.
const protoPrefix = "pb:"

// An Option configures a Codec under construction in New. Type is the only
// kind of Option; an Option reports a bad registration as an error, which
// New returns.
type Option func(*config) error

// config collects the registrations of the Options given to New.
type config struct {
	byName map[string]*goType
	byType map[reflect.Type]*goType
	plans  plans                 // of every struct type met, for walker
	known  map[reflect.Type]bool // every type analyzed, for walker
}

// goType is one registered Go type.
type goType struct {
	name string
	typ  reflect.Type
	// walk is true if a value of typ may be cyclic or contain interface
	// values, so that AppendEncode checks its shape before encoding it
	// (see walk.go).
	walk bool
	// decode decodes a payload into a new value of typ, returned as any.
	decode func(dm cbor.DecMode, payload []byte) (any, error)
}

// Type registers the Go type T under name, to be encoded with CBOR.
//
// AppendEncode then accepts exactly the values whose dynamic type is T and
// returns name for them: if T is *Ping, a *Ping (nil included, which decodes
// as a nil *Ping); if T is Ping, a Ping. To send both, register both under
// two names. Decode of name returns a value of type T. Only what CBOR can
// carry survives a round trip: exported struct fields (honouring `cbor` and,
// failing that, `json` struct tags), maps, slices, arrays, strings, booleans
// and numbers, time.Time (to the nanosecond, as an RFC 3339 string whose
// offset, not its Location, is kept), big.Int, and types implementing
// cbor.Marshaler or encoding.BinaryMarshaler with their unmarshalers.
// Values in fields of interface type decode as CBOR's generic Go types
// (uint64 or int64, float64, string, []byte, []any, map[any]any, ...).
//
// The built-in Go types (see BuiltinNames) need no registration, but may be
// registered: AppendEncode then names their values as registered, so that a
// program that registered one before it was built in sends what it sent,
// and Decode accepts both names.
//
// New fails with ErrInvalidName if name is empty, longer than MaxNameLen
// bytes, or starts with "pb:" (protobuf messages need no registration) or
// "go:" (reserved for the built-in types); if name or T is registered twice;
// if T is an interface type, a protobuf message or a pointer to one; or if T
// reaches, through fields CBOR encodes, a channel, function, complex, uintptr
// or unsafe.Pointer type, or a type that is a pointer to itself.
func Type[T any](name string) Option {
	return func(c *config) error {
		t := reflect.TypeFor[T]()
		if err := checkName(name); err != nil {
			return err
		}
		if prev, ok := c.byName[name]; ok {
			return fmt.Errorf("%w: name %q registered twice, for %v and %v", ErrInvalidName, name, prev.typ, t)
		}
		if prev, ok := c.byType[t]; ok {
			return fmt.Errorf("%w: type %v registered twice, as %q and %q", ErrInvalidName, t, prev.name, name)
		}
		walk, err := analyzeType(t, c.plans, c.known)
		if err != nil {
			return fmt.Errorf("%w: type %v (name %q): %w", ErrInvalidName, t, name, err)
		}
		gt := &goType{name: name, typ: t, walk: walk, decode: decodeAs[T]}
		c.byName[name] = gt
		c.byType[t] = gt
		return nil
	}
}

// checkName reports whether name may be registered.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrInvalidName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: name %s is longer than %d bytes", ErrInvalidName, quoteName(name), MaxNameLen)
	case strings.HasPrefix(name, protoPrefix):
		return fmt.Errorf("%w: name %q starts with %q, which is reserved for protobuf messages", ErrInvalidName, name, protoPrefix)
	case strings.HasPrefix(name, builtinPrefix):
		return fmt.Errorf("%w: name %q starts with %q, which is reserved for the built-in Go types", ErrInvalidName, name, builtinPrefix)
	}
	return nil
}
