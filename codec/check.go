package codec

import (
	"fmt"
	"reflect"

	"google.golang.org/protobuf/proto"
)

// Check reports whether AppendEncode knows msg's type: nil for a
// proto.Message or a value of a registered type, else an ErrUnknownType
// error. It encodes nothing, so it is cheap enough for every message; the
// actor runtime uses it on same-rank sends, which are not encoded, so that
// a message that could not cross ranks fails on one rank too.
func (c *Codec) Check(msg any) error {
	if msg == nil {
		return fmt.Errorf("%w: nil message", ErrUnknownType)
	}
	if _, ok := msg.(proto.Message); ok {
		return nil
	}
	if c.lookupType(reflect.TypeOf(msg)) == nil {
		return fmt.Errorf("%w: %T is neither a proto.Message nor registered", ErrUnknownType, msg)
	}
	return nil
}

// Name returns the type name AppendEncode gives msg, without encoding it,
// or the error AppendEncode would give for an unknown type. Callers that
// write the name before the payload (an envelope) use it to encode the
// payload in place.
func (c *Codec) Name(msg any) (string, error) {
	if msg == nil {
		return "", fmt.Errorf("%w: nil message", ErrUnknownType)
	}
	if m, ok := msg.(proto.Message); ok {
		return c.protoCache().name(m.ProtoReflect().Descriptor()), nil
	}
	gt := c.lookupType(reflect.TypeOf(msg))
	if gt == nil {
		return "", fmt.Errorf("%w: %T is neither a proto.Message nor a built-in or registered type", ErrUnknownType, msg)
	}
	return gt.name, nil
}
