// Package codec turns the messages that actors send across ranks into a type
// name and payload bytes, and back on the receiving rank.
//
// Protobuf messages (any proto.Message) need no registration: they are
// encoded with protobuf and named "pb:" followed by the message's full name,
// such as "pb:actor.PID", which the receiver looks up in
// protoregistry.GlobalTypes. Plain Go types are registered once per program,
// each under a name of the program's choosing, and encoded with CBOR
// (github.com/fxamacker/cbor/v2):
//
//	type Ping struct{ N int64 }
//
//	c, err := codec.New(codec.Type[*Ping]("ping"))
//	...
//	name, payload, err := c.AppendEncode(buf[:0], &Ping{N: 1}) // "ping"
//	...
//	msg, err := c.Decode(name, payload) // a *Ping
//
// Decode is meant for bytes from the wire and must be safe on any input: it
// never panics, bounds the nesting and sizes it accepts, rejects trailing
// bytes and repeated map keys, and reports every failure as an error wrapping
// ErrUnknownType or ErrDecode. AppendEncode checks its output against the same
// limits, so that what one rank encodes, another running the same program
// decodes.
//
// A Codec is immutable after New and safe for concurrent use.
package codec
