// Package codec turns the messages that actors send across ranks into a type
// name and payload bytes, and back on the receiving rank.
//
// Protobuf messages (any proto.Message) need no registration: they are
// encoded with protobuf and named "pb:" followed by the message's full name,
// such as "pb:actor.PID", which the receiver looks up in
// protoregistry.GlobalTypes.
//
// Common Go types need no registration either: every Codec, the zero Codec
// included, encodes them with CBOR (github.com/fxamacker/cbor/v2) under a
// name of "go:" followed by the type, such as "go:int", "go:[]float64" or
// "go:map[string]int64". They are bool, string, []byte, int, int8, int16,
// int32, int64, uint, uint8, uint16, uint32, uint64, float32 and float64;
// a slice of each ([]string, [][]byte, []int, ...; []uint8 is []byte); a
// map from string to each (map[string]bool, ..., map[string][]byte); and
// map[int]int, map[int64]int64 and map[int]string. BuiltinNames lists them.
// Only these exact types are built in: a named type such as
// time.Duration, a pointer such as *int, or a [][]int is registered like
// any other.
//
// Other plain Go types are registered once per program, each under a name of
// the program's choosing, and encoded with CBOR:
//
//	type Ping struct{ N int64 }
//
//	c, err := codec.New(codec.Type[*Ping]("ping"))
//	...
//	name, payload, err := c.AppendEncode(buf[:0], &Ping{N: 1}) // "ping"
//	...
//	msg, err := c.Decode(name, payload) // a *Ping
//
// A built-in type may be registered too, under a name that does not start
// with "go:": its values are then sent under the registered name, as before
// the type was built in, and both names decode.
//
// Decode is meant for bytes from the wire and must be safe on any input: it
// never panics, bounds the nesting and sizes it accepts, rejects trailing
// bytes and repeated map keys, and reports every failure as an error wrapping
// ErrUnknownType or ErrDecode. AppendEncode checks its output against the same
// limits, so that what one rank encodes, another running the same program
// decodes.
//
// The limits of a CBOR payload are:
//
//   - nesting: at most 32 levels of arrays, maps and tags (each struct,
//     slice, array other than of bytes, and map is a level);
//   - one array (a slice or array) has at most 2^31-1 elements, and one map
//     (a map or struct) at most 2^31-1 entries, the most the CBOR library
//     allows;
//   - a string or byte string is as long as the payload holds.
//
// So a message is in practice limited by its size, which the transport
// bounds (actor.WithMaxMessageBytes, 256 MiB by default), not by its
// number of elements: a slice of ten million ints or a map of a million
// entries is one message. Against hostile input, the payload's length bounds
// what Decode allocates: it checks that the payload is one well-formed data
// item before allocating anything, and every slice element or map entry
// takes at least one byte of the payload, so a decoded value takes at most a
// multiple of its payload's length: for the built-in types, about 24 bytes
// per payload byte at worst (a [][]byte of empty byte strings); for a
// registered type, the size of its largest slice element or map entry.
//
// A Codec is immutable after New and safe for concurrent use.
package codec
