package codec

import (
	"bytes"
	"fmt"
	"reflect"

	"google.golang.org/protobuf/proto"
)

// AppendValue appends the encoding of v to dst, without a type name: the
// receiver knows the type (a library's generic message, such as a farm's
// task). A proto.Message is encoded with protobuf; any other value with
// CBOR, the encoding of the built-in and registered Go types, checked
// against the limits DecodeValue applies. v must not be cyclic.
func AppendValue[T any](dst []byte, v T) ([]byte, error) {
	if m, ok := any(v).(proto.Message); ok {
		out, err := proto.MarshalOptions{}.MarshalAppend(dst, m)
		if err != nil {
			return dst, fmt.Errorf("%w: %T: %w", ErrEncode, v, err)
		}
		return out, nil
	}
	buf := bytes.NewBuffer(dst)
	if err := cborEnc.MarshalToBuffer(v, buf); err != nil {
		return dst, fmt.Errorf("%w: %T: %w", ErrEncode, v, err)
	}
	out := buf.Bytes()
	if err := cborDec.Wellformed(out[len(dst):]); err != nil {
		return dst, fmt.Errorf("%w: %T: DecodeValue would reject the encoding: %w", ErrEncode, v, err)
	}
	return out, nil
}

// DecodeValue decodes what AppendValue encoded as a T. Like Decode it is
// meant for bytes from the wire: it never panics, and every failure wraps
// ErrDecode.
func DecodeValue[T any](payload []byte) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %T: %w: %v", ErrDecode, v, errPanic, r)
		}
	}()
	if m, ok := any(v).(proto.Message); ok {
		// v is a nil pointer of a message type: make the message.
		t := reflect.TypeOf(v)
		if t == nil || t.Kind() != reflect.Pointer {
			return v, fmt.Errorf("%w: %T is not a pointer to a message", ErrDecode, v)
		}
		m = reflect.New(t.Elem()).Interface().(proto.Message)
		if err := protoUnmarshalOptions().Unmarshal(payload, m); err != nil {
			return v, fmt.Errorf("%w: %T: %w", ErrDecode, v, err)
		}
		return m.(T), nil
	}
	if err := cborDec.Unmarshal(payload, &v); err != nil {
		return v, fmt.Errorf("%w: %T: %w", ErrDecode, v, err)
	}
	return v, nil
}
