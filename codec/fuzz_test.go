package codec

import (
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/fxamacker/cbor/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

type fuzzPing struct {
	N int64
	S string
}

type fuzzMixed struct {
	I    int8
	U    uint16
	F    float32
	B    bool
	Raw  []byte
	Arr  [3]uint32
	L    []string
	M    map[int64]*fuzzPing
	T    time.Time
	Big  big.Int
	Any  any
	Tree *fuzzTree
}

type fuzzTree struct {
	V    int
	Kids []fuzzTree
	Next *fuzzTree
}

func fuzzCodec(tb testing.TB) *Codec {
	c, err := New(
		Type[*fuzzPing]("ping"),
		Type[fuzzPing]("ping.value"),
		Type[*fuzzMixed]("mixed"),
		Type[fuzzTree]("tree"),
		Type[map[string]any]("map"),
		Type[[]any]("list"),
		Type[string]("string"),
		Type[float64]("float"),
		Type[time.Time]("time"),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// FuzzDecode feeds Decode arbitrary names and payloads. Decode must not
// panic, must fail only with ErrUnknownType or ErrDecode, and must not owe a
// failure to a panic caught in a third-party decoder. What it decodes must
// encode again under the same name (or, for a built-in type the codec also
// registered, such as string, under the registered name), to a payload that
// decodes.
func FuzzDecode(f *testing.F) {
	c := fuzzCodec(f)
	valid := []any{
		&fuzzPing{N: -3, S: "three"},
		fuzzPing{N: 1 << 40},
		&fuzzMixed{
			I: -8, U: 16, F: 1.5, B: true, Raw: []byte{1, 2}, Arr: [3]uint32{7, 8, 9},
			L: []string{"x", ""}, M: map[int64]*fuzzPing{1: {N: 1}, 2: nil},
			T: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Big: *big.NewInt(-5),
			Any: map[string]any{"k": []any{1, "v", nil, 2.5}}, Tree: &fuzzTree{V: 1},
		},
		fuzzTree{V: 1, Kids: []fuzzTree{{V: 2}, {V: 3, Next: &fuzzTree{V: 4}}}},
		map[string]any{"a": 1, "b": []any{true, nil, "s"}, "c": map[string]any{}},
		[]any{uint64(1), -1, "x", []byte{0}, 1.25},
		"string",
		3.75,
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", 3600)),
		wrapperspb.Int64(-42),
		wrapperspb.String("s"),
		&actor.PID{Address: "host:1", Id: "$7", RequestId: 9},
		mustStruct(f, map[string]any{"x": []any{1.0, "y", map[string]any{"z": nil}}}),
		// Any message linked into the program decodes; this proto2 one
		// has groups, extensions and required fields in its graph.
		protodesc.ToFileDescriptorProto(structpb.File_google_protobuf_struct_proto),
		// Built-in types, not registered.
		-7, true, []byte{1, 2}, []string{"a", ""}, []float32{1.5}, [][]byte{nil, {3}},
		map[string]int{"x": 1, "y": -2}, map[string][]byte{"k": {0}}, map[int]string{1: "one"},
	}
	for _, msg := range valid {
		name, b, err := c.AppendEncode(nil, msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, b)
		f.Add(name, b[:len(b)/2])                 // truncated
		f.Add(name, append(b[:len(b):len(b)], 0)) // trailing byte
	}
	for _, seed := range []struct {
		name    string
		payload []byte
	}{
		{"", nil},
		{"nope", []byte{0xa0}},
		{"pb:", nil},
		{"pb:no.such.Message", nil},
		{"pb:google.protobuf.NullValue", nil},
		{"pb:google.protobuf.Int64Value", []byte{0xff, 0xff, 0xff}},
		{"pb:google.protobuf.StringValue", []byte{0x0a, 0x01, 0xff}},
		{"pb:google.protobuf.Value", []byte{0x32, 0x02, 0x0a, 0x00}},
		{"ping", []byte{0xa2, 0x61, 'N', 0x01, 0x61, 'N', 0x02}},                     // duplicate key
		{"ping", []byte{0xa1, 0x61, 'N', 0x63, 'a', 'b', 'c'}},                       // wrong field type
		{"list", []byte{0x9f, 0x01, 0xff}},                                           // indefinite length
		{"list", []byte{0x9a, 0x7f, 0xff, 0xff, 0xff}},                               // huge array, no data
		{"list", []byte{0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x80}},       // nesting
		{"map", []byte{0xa1, 0x81, 0x00, 0x00}},                                      // array as key
		{"map", []byte{0xa1, 0x61, 'k', 0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0}},      // bignum
		{"map", []byte{0xa1, 0x61, 'k', 0xd8, 0x64, 0xd8, 0x65, 0x01}},               // nested tags
		{"string", []byte{0x62, 0xff, 0xfe}},                                         // invalid UTF-8
		{"time", []byte{0xc1, 0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, // far future
		{"time", []byte{0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0}},                         // NaN
		{"float", []byte{0xf9, 0x7c, 0x00}},                                          // +Inf, half precision
		{"mixed", []byte{0xa1, 0x63, 'B', 'i', 'g', 0xc3, 0x40}},                     // negative bignum
		{"tree", []byte{0xa1, 0x64, 'N', 'e', 'x', 't', 0xf6}},
		{"go:string", []byte{0x63, 'a', 'b', 'c'}},                                                   // registered as "string" too
		{"go:float64", []byte{0xf9, 0x7e, 0x00}},                                                     // NaN; registered as "float" too
		{"go:[]int", []byte{0x9a, 0x7f, 0xff, 0xff, 0xff, 0x00}},                                     // longer than the payload
		{"go:map[string]int", []byte{0xa2, 0x60, 0x00, 0x60, 0x01}},                                  // duplicate key
		{"go:map[int]int", []byte{0xa1, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}}, // key overflows
		{"go:int8", []byte{0x38, 0x80}},                                                              // -129
		{"go:nope", []byte{0x00}},
	} {
		f.Add(seed.name, seed.payload)
	}

	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		v, err := c.Decode(name, payload)
		if err != nil {
			if errors.Is(err, errPanic) {
				t.Fatalf("a decoder panicked: %v", err)
			}
			if !errors.Is(err, ErrUnknownType) && !errors.Is(err, ErrDecode) {
				t.Fatalf("unexpected error: %v", err)
			}
			if v != nil {
				t.Fatalf("a value with an error: %v", v)
			}
			return
		}
		if v == nil {
			t.Fatalf("%q: nil value without an error", name)
		}
		name2, out, err := c.AppendEncode(nil, v)
		if err != nil {
			if reencodeMayFail(err) {
				return
			}
			t.Fatalf("%q: decoded %#v, which does not encode: %v", name, v, err)
		}
		if name2 != name && !(strings.HasPrefix(name, builtinPrefix) && c.lookupType(reflect.TypeOf(v)).name == name2) {
			t.Fatalf("decoded as %q, encoded as %q", name, name2)
		}
		v2, err := c.Decode(name2, out)
		if err != nil {
			t.Fatalf("%q: re-encoded %#v does not decode: %v", name, v, err)
		}
		if m, ok := v.(proto.Message); ok && !proto.Equal(m, v2.(proto.Message)) {
			t.Fatalf("%q: %v != %v", name, v, v2)
		}
	})
}

// reencodeMayFail reports the errors encoding may return for a value that
// decoding accepted: those of inputs that Decode takes but the encoder does
// not write, such as a time outside RFC 3339's years given as a number of
// seconds.
func reencodeMayFail(err error) bool {
	var unsupported *cbor.UnsupportedValueError
	return errors.Is(err, ErrEncode) && errors.As(err, &unsupported) &&
		strings.Contains(err.Error(), "RFC 3339")
}

func mustStruct(tb testing.TB, m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
