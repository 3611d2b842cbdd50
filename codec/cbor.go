package codec

import (
	"bytes"
	"fmt"
	"math"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// Limits on what Decode accepts in a CBOR payload, set explicitly rather than
// left to the library's defaults. AppendEncode checks its output against the
// same limits, so that what it encodes, Decode accepts.
//
// The counts are not what bounds the memory a hostile payload can make Decode
// allocate: the payload's length is. The decoder checks that the whole payload
// is one well-formed data item before it allocates anything, and every slice
// element or map entry it then allocates room for takes at least one byte of
// the payload, so a count can never exceed the payload's length. So the counts
// are set as high as the CBOR library allows, to let a message as large as the
// transport carries (256 MiB by default) be one big slice or map; the
// transport's maximum message size bounds the payload.
const (
	// maxNestedLevels bounds the nesting of CBOR arrays, maps and tags: a
	// struct, slice, array (other than of bytes) or map is one level. It
	// bounds the decoder's recursion, which the payload's length does not.
	maxNestedLevels = 32
	// maxArrayElements bounds the length of one CBOR array (a slice or an
	// array of anything but bytes): the CBOR library's maximum.
	maxArrayElements = math.MaxInt32
	// maxMapPairs bounds the entries of one CBOR map (a map or a struct):
	// the CBOR library's maximum.
	maxMapPairs = math.MaxInt32
)

// cborEnc and cborDec are the encoding and decoding modes of every Codec, the
// zero Codec and a nil *Codec included. They are set at initialization, never
// changed, and safe for concurrent use.
var cborEnc, cborDec = mustCBORModes()

// mustCBORModes returns the encoding and decoding modes of every Codec. Its
// options are constants: an error is a bug of this package.
func mustCBORModes() (cbor.UserBufferEncMode, cbor.DecMode) {
	em, dm, err := newCBORModes()
	if err != nil {
		panic(fmt.Sprintf("codec: CBOR options: %v", err))
	}
	return em, dm
}

// newCBORModes returns the encoding and decoding modes of every Codec.
func newCBORModes() (cbor.UserBufferEncMode, cbor.DecMode, error) {
	em, err := cbor.EncOptions{
		// time.Time to the nanosecond, with its UTC offset; the zero
		// time as null.
		Time: cbor.TimeRFC3339Nano,
		// Definite lengths only, which the decoder insists on.
		IndefLength: cbor.IndefLengthForbidden,
		// nil slices and maps as null, so that they decode as nil and
		// empty ones as empty.
		NilContainers: cbor.NilContainerAsNull,
	}.UserBufferEncMode()
	if err != nil {
		return nil, nil, err
	}
	dm, err := cbor.DecOptions{
		// A map or struct whose key appears twice is an error.
		DupMapKey: cbor.DupMapKeyEnforcedAPF,
		// Resource limits against hostile input.
		MaxNestedLevels:  maxNestedLevels,
		MaxArrayElements: maxArrayElements,
		MaxMapPairs:      maxMapPairs,
		// No indefinite-length items: the encoder never writes them.
		IndefLength: cbor.IndefLengthForbidden,
		// Tags stay allowed: big.Int beyond 64 bits is tags 2 and 3,
		// and cbor.Tag values may be sent in fields of interface type.
		TagsMd: cbor.TagsAllowed,
		// Struct fields match keys exactly, as the encoder wrote them.
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		// A Go string may hold any bytes, and the encoder writes it as a
		// CBOR text string as it is: accept what it writes.
		UTF8: cbor.UTF8DecodeInvalid,
	}.DecMode()
	if err != nil {
		return nil, nil, err
	}
	return em, dm, nil
}

// appendCBOR appends the CBOR encoding of msg, whose dynamic type is gt.typ,
// to dst. c may be nil if gt is a built-in type, which is never walked.
func (c *Codec) appendCBOR(dst []byte, gt *goType, msg any) ([]byte, error) {
	if gt.walk {
		if err := c.walker.value(reflect.ValueOf(msg), 0, 0); err != nil {
			return dst, fmt.Errorf("%w: %q (%v): %w", ErrEncode, gt.name, gt.typ, err)
		}
	}
	buf := bytes.NewBuffer(dst)
	if err := cborEnc.MarshalToBuffer(msg, buf); err != nil {
		return dst, fmt.Errorf("%w: %q (%v): %w", ErrEncode, gt.name, gt.typ, err)
	}
	out := buf.Bytes()
	// The walk covers only types that may be cyclic or hold interfaces;
	// this catches any other value too large for Decode, and the output of
	// custom marshalers.
	if err := cborDec.Wellformed(out[len(dst):]); err != nil {
		return dst, fmt.Errorf("%w: %q (%v): Decode would reject the encoding: %w", ErrEncode, gt.name, gt.typ, err)
	}
	return out, nil
}

// decodeCBOR decodes payload as a value of the built-in or registered type gt.
func (c *Codec) decodeCBOR(gt *goType, payload []byte) (v any, err error) {
	// The decoder is built for untrusted input and is not known to panic,
	// but types with their own UnmarshalCBOR or UnmarshalBinary methods run
	// code of their authors on the payload: a panic there is reported as
	// ErrDecode rather than brought down on the caller.
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%w: %q (%v): %w: %v", ErrDecode, gt.name, gt.typ, errPanic, r)
		}
	}()
	v, err = gt.decode(cborDec, payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %q (%v): %w", ErrDecode, gt.name, gt.typ, err)
	}
	return v, nil
}

// decodeAs decodes payload as a T. It is the decode function of a type
// registered with Type[T] and of a built-in type T.
func decodeAs[T any](dm cbor.DecMode, payload []byte) (any, error) {
	var v T
	if err := dm.Unmarshal(payload, &v); err != nil {
		return nil, err
	}
	return v, nil
}
