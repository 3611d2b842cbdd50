package codec

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them (test with errors.Is); the message adds the type or name concerned and
// what was wrong, and, where a third-party library reported the failure, wraps
// that library's error too.
var (
	// ErrUnknownType reports a message the codec has no encoding for: a nil
	// message, or a value that is neither a proto.Message nor of a built-in
	// type or a type registered with Type. From Decode it reports a name
	// that is neither registered, nor the "go:" name of a built-in type, nor
	// the "pb:" name of a protobuf message linked into the program.
	ErrUnknownType = errors.New("codec: unknown type")

	// ErrDecode reports payload bytes that are not a valid encoding of the
	// named type.
	ErrDecode = errors.New("codec: cannot decode payload")

	// ErrEncode reports a value of a known type that cannot be encoded: for
	// example a protobuf message with an invalid UTF-8 string field, a time
	// outside RFC 3339's years, a value nested deeper or with more elements
	// than Decode accepts, or a cyclic value.
	ErrEncode = errors.New("codec: cannot encode message")

	// ErrInvalidName reports a bad registration, returned by New: an empty
	// name, a name longer than MaxNameLen bytes or starting with "pb:" or
	// "go:", a name or a type registered twice, a type that cannot be
	// registered (an interface type, a protobuf message, or a type the CBOR
	// encoding does not support), or a nil Option.
	ErrInvalidName = errors.New("codec: invalid registration")
)

// errPanic is wrapped, with ErrDecode, into the error Decode returns when a
// decoder outside this package panicked. It stays unexported: tests use it to
// tell such a panic from an ordinary rejection of bad input.
var errPanic = errors.New("decoder panicked")

// maxQuotedName bounds how much of an untrusted name goes into an error
// message.
const maxQuotedName = 64

// quoteName quotes name for an error message, cut to maxQuotedName bytes: the
// names Decode receives come from the wire and may be long or binary.
func quoteName(name string) string {
	if len(name) <= maxQuotedName {
		return strconv.Quote(name)
	}
	return strconv.Quote(name[:maxQuotedName]) + "... (" + strconv.Itoa(len(name)) + " bytes)"
}
