package codec

import (
	"fmt"
	"reflect"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// typeProtoMessage is set at initialization and never changed.
var typeProtoMessage = reflect.TypeFor[proto.Message]()

// protoUnmarshalOptions are the options of every protobuf decode: unknown
// fields are kept (so that a newer sender's fields survive a re-encode),
// required fields are checked, and nesting is bounded by protobuf's default
// limit, made explicit.
func protoUnmarshalOptions() proto.UnmarshalOptions {
	return proto.UnmarshalOptions{
		DiscardUnknown: false,
		AllowPartial:   false,
		RecursionLimit: protowire.DefaultRecursionLimit,
	}
}

// appendProto appends the protobuf encoding of m to dst and returns its name.
func appendProto(dst []byte, m proto.Message) (string, []byte, error) {
	name := protoPrefix + string(m.ProtoReflect().Descriptor().FullName())
	if len(name) > MaxNameLen {
		return "", dst, fmt.Errorf("%w: %s: the name is longer than %d bytes", ErrEncode, quoteName(name), MaxNameLen)
	}
	out, err := proto.MarshalOptions{}.MarshalAppend(dst, m)
	if err != nil {
		return "", dst, fmt.Errorf("%w: %q: %w", ErrEncode, name, err)
	}
	return name, out, nil
}

// decodeProto decodes payload as the protobuf message that name, which starts
// with "pb:", names.
func decodeProto(name string, payload []byte) (any, error) {
	full := protoreflect.FullName(name[len(protoPrefix):])
	if !full.IsValid() {
		return nil, fmt.Errorf("%w: %s is not a valid protobuf message name", ErrUnknownType, quoteName(name))
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(full)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: no such protobuf message in this program: %w", ErrUnknownType, quoteName(name), err)
	}
	m := mt.New().Interface()
	if err := unmarshalProto(payload, m); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrDecode, name, err)
	}
	return m, nil
}

// unmarshalProto unmarshals payload into m. Generated message types decode
// with protobuf's own code, but a legacy message type in the registry may
// decode with methods of its own: a panic there is an error, not a crash.
func unmarshalProto(payload []byte, m proto.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	return protoUnmarshalOptions().Unmarshal(payload, m)
}
