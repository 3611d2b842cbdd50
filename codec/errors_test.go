package codec_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/codec"
)

// sentinels are the package's errors; each error wraps exactly one.
var sentinels = []error{codec.ErrUnknownType, codec.ErrDecode, codec.ErrEncode, codec.ErrInvalidName}

func requireOnly(t *testing.T, err, want error) {
	t.Helper()
	require.ErrorIs(t, err, want)
	for _, s := range sentinels {
		if s != want {
			require.NotErrorIs(t, err, s, "%v also wraps %v", err, s)
		}
	}
}

type SelfPointer *SelfPointer

type Stringer interface{ String() string }

func TestNewRejectsBadRegistrations(t *testing.T) {
	tests := []struct {
		name string
		opts []codec.Option
		msg  string // in the error
	}{
		{"empty name", []codec.Option{codec.Type[Ping]("")}, "empty"},
		{"long name", []codec.Option{codec.Type[Ping](strings.Repeat("x", 256))}, "longer than 255"},
		{"pb prefix", []codec.Option{codec.Type[Ping]("pb:Ping")}, `"pb:"`},
		{"go prefix", []codec.Option{codec.Type[Ping]("go:Ping")}, `"go:"`},
		{"built-in name", []codec.Option{codec.Type[int]("go:int")}, "reserved for the built-in Go types"},
		{"bare go prefix", []codec.Option{codec.Type[int]("go:")}, `"go:"`},
		{"duplicate name", []codec.Option{codec.Type[Ping]("p"), codec.Type[*Ping]("p")}, "registered twice"},
		{"duplicate type", []codec.Option{codec.Type[Ping]("p"), codec.Type[Ping]("q")}, "registered twice"},
		{"nil option", []codec.Option{codec.Type[Ping]("p"), nil}, "option 1 is nil"},
		{"empty interface", []codec.Option{codec.Type[any]("any")}, "interface"},
		{"interface", []codec.Option{codec.Type[Stringer]("s")}, "interface"},
		{"proto pointer", []codec.Option{codec.Type[*wrapperspb.Int64Value]("i")}, "protobuf"},
		{"proto struct", []codec.Option{codec.Type[wrapperspb.Int64Value]("i")}, "protobuf"},
		{"proto pointer pointer", []codec.Option{codec.Type[**wrapperspb.Int64Value]("i")}, "protobuf"},
		{"channel", []codec.Option{codec.Type[chan int]("c")}, "chan"},
		{"func field", []codec.Option{codec.Type[struct{ F func() }]("f")}, "func"},
		{"complex in map", []codec.Option{codec.Type[map[string]complex128]("m")}, "complex128"},
		{"uintptr in slice", []codec.Option{codec.Type[[]uintptr]("u")}, "uintptr"},
		{"pointer cycle", []codec.Option{codec.Type[SelfPointer]("p")}, "points to itself"},
		{"pointer cycle field", []codec.Option{codec.Type[struct{ P SelfPointer }]("p")}, "points to itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := codec.New(tt.opts...)
			requireOnly(t, err, codec.ErrInvalidName)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Nil(t, c)
		})
	}

	// The limits themselves are accepted.
	_, err := codec.New(codec.Type[Ping](strings.Repeat("x", 255)), codec.Type[*Ping]("p"))
	require.NoError(t, err)
}

func TestAppendEncodeErrors(t *testing.T) {
	c := newCodec(t)

	cyclic := &Node{Val: 1}
	cyclic.Next = cyclic

	loop := map[string]any{}
	loop["self"] = loop

	deep := &Tree{}
	for range 40 {
		deep = &Tree{Kids: []*Tree{deep}}
	}

	var iface any
	iface = &iface

	var sp SelfPointer

	tests := []struct {
		name string
		msg  any
		want error
		text string
	}{
		{"nil", nil, codec.ErrUnknownType, "nil message"},
		{"unregistered", struct{}{}, codec.ErrUnknownType, "struct {}"},
		{"value of pointer-registered", Nested{}, codec.ErrUnknownType, "Nested"},
		{"pointer of value-registered", &Embedded{}, codec.ErrUnknownType, "Embedded"},
		{"unregistered pointer to registered", new(*Ping), codec.ErrUnknownType, "**codec_test.Ping"},
		{"cyclic list", cyclic, codec.ErrEncode, "nested more than 32"},
		{"cyclic map in interface", WithAny{V: loop}, codec.ErrEncode, "nested more than 32"},
		{"self-pointing interface", WithAny{V: iface}, codec.ErrEncode, "pointers and interfaces in a row"},
		{"pointer cycle type in interface", WithAny{V: sp}, codec.ErrEncode, "points to itself"},
		{"pointer cycle type in nested interface", WithAny{V: []any{struct{ P SelfPointer }{}}}, codec.ErrEncode, "points to itself"},
		{"too deep", deep, codec.ErrEncode, "nested more than 32"},
		// Elements of size zero: 2^31 of them take no memory. (No map
		// past the limit of 2^31-1 entries fits in a test's memory.)
		{"too long slice in interface", WithAny{V: make([]struct{}, 1<<31)}, codec.ErrEncode, "more than the 2147483647"},
		{"unsupported in interface", WithAny{V: make(chan int)}, codec.ErrEncode, "chan"},
		{"time out of range", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), codec.ErrEncode, "time"},
		{"proto invalid UTF-8", wrapperspb.String("\xff"), codec.ErrEncode, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			name, out, err := c.AppendEncode(dst, tt.msg)
			requireOnly(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.text)
			assert.Empty(t, name)
			assert.Equal(t, []byte("keep"), out)
		})
	}
}

// Values at the limits encode and decode; one past them do not encode.
func TestLimits(t *testing.T) {
	c := newCodec(t)
	nested := func(levels int) WithAny {
		var v any = 1
		for range levels - 1 { // WithAny itself is one level
			v = []any{v}
		}
		return WithAny{V: v}
	}
	got := roundTrip(t, c, nested(32), "any")
	assert.NotNil(t, got)
	_, _, err := c.AppendEncode(nil, nested(33))
	requireOnly(t, err, codec.ErrEncode)

	// Through types with no interface and no recursion, which are not
	// walked: the check of the output catches it.
	type deep struct {
		A [][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][]int
	}
	c2, err := codec.New(codec.Type[deep]("deep"))
	require.NoError(t, err)
	_, _, err = c2.AppendEncode(nil, deep{A: [][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][]int{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}})
	requireOnly(t, err, codec.ErrEncode)
	assert.Contains(t, err.Error(), "Decode would reject")
	_, _, err = c2.AppendEncode(nil, deep{})
	require.NoError(t, err)

	// Counts are bounded by the payload's length, not by a small limit:
	// past the 65 536 elements and entries of earlier versions, in types
	// that are walked and types that are not.
	long := Ints(make([]int, 1<<17))
	assert.Equal(t, long, roundTrip(t, c, long, "ints"))
	inAny := roundTrip(t, c, WithAny{V: make([]int, 1<<17)}, "any").(WithAny)
	assert.Len(t, inAny.V, 1<<17)

	m := map[string][]int{}
	for i := range 1 << 17 {
		m[string(rune(i+0x10000))] = nil
	}
	assert.Equal(t, m, roundTrip(t, c, m, "map"))
}

func TestDecodeErrors(t *testing.T) {
	c := newCodec(t)
	_, validPing, err := c.AppendEncode(nil, &Ping{N: 1, S: "x"})
	require.NoError(t, err)
	_, validInt64, err := c.AppendEncode(nil, wrapperspb.Int64(300))
	require.NoError(t, err)

	nestedArrays := func(n int) []byte {
		b := make([]byte, 0, n+1)
		for range n {
			b = append(b, 0x81) // array of one element
		}
		return append(b, 0x00)
	}

	tests := []struct {
		name    string
		typ     string
		payload []byte
		want    error
		text    string
	}{
		{"empty name", "", validPing, codec.ErrUnknownType, `""`},
		{"unknown name", "pong", validPing, codec.ErrUnknownType, `"pong"`},
		{"long name", strings.Repeat("n", 300), validPing, codec.ErrUnknownType, "300 bytes"},
		{"binary name", "\x00\xff", validPing, codec.ErrUnknownType, `"\x00\xff"`},
		{"pb only", "pb:", validInt64, codec.ErrUnknownType, "no such protobuf message"},
		{"pb invalid", "pb:not a name!", validInt64, codec.ErrUnknownType, "no such protobuf message"},
		{"pb unknown", "pb:no.such.Message", validInt64, codec.ErrUnknownType, "no such protobuf message"},
		{"pb enum", "pb:google.protobuf.NullValue", nil, codec.ErrUnknownType, "no such protobuf message"},
		{"pb garbage", "pb:google.protobuf.Int64Value", []byte{0xff, 0xff}, codec.ErrDecode, "Int64Value"},
		{"pb truncated", "pb:google.protobuf.Int64Value", validInt64[:len(validInt64)-1], codec.ErrDecode, "Int64Value"},
		{"pb bad UTF-8", "pb:google.protobuf.StringValue", []byte{0x0a, 0x01, 0xff}, codec.ErrDecode, "UTF-8"},
		{"pb too deep", "pb:google.protobuf.Value", deepProtoValue(10001), codec.ErrDecode, "Value"},
		{"cbor empty", "ping", nil, codec.ErrDecode, "EOF"},
		{"cbor truncated", "ping", validPing[:len(validPing)-1], codec.ErrDecode, "EOF"},
		{"cbor trailing byte", "ping", append(validPing[:len(validPing):len(validPing)], 0x00), codec.ErrDecode, "extraneous"},
		{"cbor wrong type", "ping", []byte{0x63, 'a', 'b', 'c'}, codec.ErrDecode, "cannot unmarshal"},
		{"cbor wrong field type", "ping", []byte{0xa1, 0x61, 'N', 0x61, 'x'}, codec.ErrDecode, "cannot unmarshal"},
		{"cbor duplicate key", "ping", []byte{0xa2, 0x61, 'N', 0x01, 0x61, 'N', 0x02}, codec.ErrDecode, "duplicate"},
		{"cbor duplicate map key", "map", []byte{0xa2, 0x61, 'k', 0xf6, 0x61, 'k', 0xf6}, codec.ErrDecode, "duplicate"},
		{"cbor indefinite length", "ints", []byte{0x9f, 0x01, 0xff}, codec.ErrDecode, "indefinite"},
		{"cbor too deep", "any", append([]byte{0xa1, 0x61, 'V'}, nestedArrays(40)...), codec.ErrDecode, "exceeded max nested level"},
		{"cbor array too long", "ints", []byte{0x9a, 0x80, 0x00, 0x00, 0x00}, codec.ErrDecode, "exceeded max number of elements"},
		{"cbor map too long", "map", []byte{0xba, 0x80, 0x00, 0x00, 0x00}, codec.ErrDecode, "exceeded max number of key-value pairs"},
		{"cbor array longer than payload", "ints", []byte{0x9a, 0x7f, 0xff, 0xff, 0xff, 0x00}, codec.ErrDecode, "EOF"},
		{"cbor map longer than payload", "map", []byte{0xba, 0x7f, 0xff, 0xff, 0xff, 0x60, 0x80}, codec.ErrDecode, "EOF"},
		{"go unknown", "go:complex128", []byte{0x00}, codec.ErrUnknownType, "no built-in Go type"},
		{"go prefix only", "go:", []byte{0x00}, codec.ErrUnknownType, "no built-in Go type"},
		{"go uint8 spelled byte", "go:byte", []byte{0x00}, codec.ErrUnknownType, "no built-in Go type"},
		{"go registered name", "go:ints", []byte{0x80}, codec.ErrUnknownType, "no built-in Go type"},
		{"go int8 overflow", "go:int8", []byte{0x19, 0x01, 0x00}, codec.ErrDecode, "overflows"},
		{"go wrong type", "go:[]int", []byte{0x61, 'a'}, codec.ErrDecode, "cannot unmarshal"},
		{"go duplicate key", "go:map[int]int", []byte{0xa2, 0x01, 0x01, 0x01, 0x02}, codec.ErrDecode, "duplicate"},
		{"go trailing byte", "go:bool", []byte{0xf5, 0x00}, codec.ErrDecode, "extraneous"},
		{"cbor huge length", "bytes", []byte{0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, codec.ErrDecode, "too large"},
		{"cbor integer overflow", "int64", []byte{0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, codec.ErrDecode, "overflows"},
		{"cbor reserved", "int64", []byte{0x1c}, codec.ErrDecode, "invalid additional information"},
		{"cbor bad time", "time", []byte{0x63, 'n', 'o', 'w'}, codec.ErrDecode, "cannot parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := c.Decode(tt.typ, tt.payload)
			requireOnly(t, err, tt.want)
			assert.Nil(t, v)
			assert.Contains(t, err.Error(), tt.text)
		})
	}
}

// deepProtoValue returns a google.protobuf.Value nested n list levels deep.
func deepProtoValue(n int) []byte {
	// Value.list_value (field 6) -> ListValue.values (field 1) -> Value ...
	b := []byte{}
	for range n {
		inner := append([]byte{0x0a}, appendVarint(nil, uint64(len(b)))...)
		inner = append(inner, b...)
		b = append([]byte{0x32}, appendVarint(nil, uint64(len(inner)))...)
		b = append(b, inner...)
	}
	return b
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// The third-party error stays reachable below the sentinel.
func TestErrorsWrapCause(t *testing.T) {
	c := newCodec(t)
	_, err := c.Decode("ping", []byte{0xa2, 0x61, 'N', 0x01, 0x61, 'N', 0x02})
	var dup *cbor.DupMapKeyError
	require.ErrorAs(t, err, &dup)

	_, err = c.Decode("ints", []byte{0x9a, 0x80, 0x00, 0x00, 0x00})
	var tooMany *cbor.MaxArrayElementsError
	require.ErrorAs(t, err, &tooMany)

	_, _, err = c.AppendEncode(nil, time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC))
	require.Error(t, err)
	assert.True(t, errors.Is(err, codec.ErrEncode))

	// big.Int beyond 64 bits uses a tag, which is allowed.
	b, _ := new(big.Int).SetString("-99999999999999999999999999", 10)
	got := roundTrip(t, c, &Nested{Big: b}, "nested").(*Nested)
	assert.Equal(t, 0, b.Cmp(got.Big))
}
