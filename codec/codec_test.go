package codec_test

import (
	"math"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/codec"
)

// Ping is the small message of the tests and benchmarks.
type Ping struct {
	N int64
	S string
}

type Inner struct {
	A []int
	M map[string]float64
}

type Nested struct {
	ID     uint32
	Name   string
	Tags   []string
	Attrs  map[string]int64
	Inner  Inner
	PInner *Inner
	Items  []Inner
	ByID   map[int32]*Inner
	Data   []byte
	Fixed  [4]int16
	When   time.Time
	Big    *big.Int
	Flag   bool
	F32    float32
	Matrix [][]uint8
	Sets   map[string][]string
}

type Tree struct {
	Val  int
	Kids []*Tree
}

type Node struct {
	Val  int
	Next *Node
}

type WithAny struct {
	V any
}

type Embedded struct {
	Ping
	Extra string
}

type Tagged struct {
	Keep   int      `cbor:"k"`
	Skip   func()   `cbor:"-"`
	JSkip  chan int `json:"-"`
	hidden chan int
}

type Empty struct{}

type Ints []int

func newCodec(t testing.TB) *codec.Codec {
	t.Helper()
	c, err := codec.New(
		codec.Type[*Ping]("ping"),
		codec.Type[Ping]("ping.value"),
		codec.Type[*Nested]("nested"),
		codec.Type[*Tree]("tree"),
		codec.Type[*Node]("node"),
		codec.Type[WithAny]("any"),
		codec.Type[Embedded]("embedded"),
		codec.Type[Tagged]("tagged"),
		codec.Type[Empty]("empty"),
		codec.Type[map[string][]int]("map"),
		codec.Type[Ints]("ints"),
		codec.Type[string]("string"),
		codec.Type[int64]("int64"),
		codec.Type[[]byte]("bytes"),
		codec.Type[time.Time]("time"),
	)
	require.NoError(t, err)
	return c
}

// roundTrip encodes msg after a prefix, checks the prefix is kept and the
// name is want, and returns what Decode makes of the payload.
func roundTrip(t *testing.T, c *codec.Codec, msg any, want string) any {
	t.Helper()
	prefix := []byte("prefix")
	name, out, err := c.AppendEncode(slices.Clone(prefix), msg)
	require.NoError(t, err)
	require.Equal(t, want, name)
	require.Equal(t, prefix, out[:len(prefix)])
	got, err := c.Decode(name, out[len(prefix):])
	require.NoError(t, err)
	return got
}

func TestProtoRoundTrip(t *testing.T) {
	c := newCodec(t)

	for _, msg := range []proto.Message{
		wrapperspb.Int64(0),
		wrapperspb.Int64(-42),
		wrapperspb.Int64(math.MaxInt64),
		wrapperspb.String("héllo"),
		actor.NewPID("node-1:8080", "$42"),
		&actor.PID{Address: "a", Id: "b", RequestId: 7},
	} {
		want := "pb:" + string(msg.ProtoReflect().Descriptor().FullName())
		got := roundTrip(t, c, msg, want)
		require.IsType(t, msg, got)
		assert.True(t, proto.Equal(msg, got.(proto.Message)), "%v != %v", msg, got)
	}

	got := roundTrip(t, c, &actor.PID{Address: "x"}, "pb:actor.PID")
	assert.Equal(t, "x", got.(*actor.PID).Address)
	got = roundTrip(t, c, wrapperspb.Int64(5), "pb:google.protobuf.Int64Value")
	assert.Equal(t, int64(5), got.(*wrapperspb.Int64Value).GetValue())
}

func TestProtoRecursiveMessage(t *testing.T) {
	c := newCodec(t)
	msg, err := structpb.NewStruct(map[string]any{
		"a": []any{1.5, "x", map[string]any{"b": true, "c": nil}},
	})
	require.NoError(t, err)
	got := roundTrip(t, c, msg, "pb:google.protobuf.Struct")
	assert.True(t, proto.Equal(msg, got.(proto.Message)))
}

func TestProtoNilPointerEncodesEmpty(t *testing.T) {
	c := newCodec(t)
	got := roundTrip(t, c, (*wrapperspb.Int64Value)(nil), "pb:google.protobuf.Int64Value")
	require.NotNil(t, got)
	assert.True(t, proto.Equal(&wrapperspb.Int64Value{}, got.(proto.Message)))
}

// Unknown fields survive Decode (DiscardUnknown is false): a PID decoded as
// an Int64Value keeps its fields as unknown ones, and encodes back to them.
func TestProtoKeepsUnknownFields(t *testing.T) {
	c := newCodec(t)
	pid := &actor.PID{Address: "addr", Id: "id", RequestId: 3}
	_, b, err := c.AppendEncode(nil, pid)
	require.NoError(t, err)

	v, err := c.Decode("pb:google.protobuf.Int64Value", b)
	require.NoError(t, err)
	require.NotEmpty(t, v.(proto.Message).ProtoReflect().GetUnknown())

	_, b2, err := c.AppendEncode(nil, v)
	require.NoError(t, err)
	back, err := c.Decode("pb:actor.PID", b2)
	require.NoError(t, err)
	assert.True(t, proto.Equal(pid, back.(proto.Message)))
}

func TestCBORPointerAndValueForms(t *testing.T) {
	c := newCodec(t)

	got := roundTrip(t, c, &Ping{N: 7, S: "seven"}, "ping")
	assert.Equal(t, &Ping{N: 7, S: "seven"}, got)

	got = roundTrip(t, c, Ping{N: -7, S: "minus"}, "ping.value")
	assert.Equal(t, Ping{N: -7, S: "minus"}, got)

	// A nil pointer of the registered type comes back as a nil pointer of
	// that type.
	got = roundTrip(t, c, (*Ping)(nil), "ping")
	require.IsType(t, (*Ping)(nil), got)
	assert.Nil(t, got.(*Ping))

	got = roundTrip(t, c, Empty{}, "empty")
	assert.Equal(t, Empty{}, got)
}

func TestCBORNested(t *testing.T) {
	c := newCodec(t)
	when := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)
	big1, ok := new(big.Int).SetString("123456789012345678901234567890", 10)
	require.True(t, ok)
	msg := &Nested{
		ID:     9,
		Name:   "n\x00ame \xff invalid UTF-8 kept",
		Tags:   []string{"a", "", "c"},
		Attrs:  map[string]int64{"x": 1, "y": math.MinInt64},
		Inner:  Inner{A: []int{1, 2, 3}, M: map[string]float64{"pi": math.Pi, "inf": math.Inf(1)}},
		PInner: &Inner{A: []int{}},
		Items:  []Inner{{A: []int{4}}, {M: map[string]float64{}}},
		ByID:   map[int32]*Inner{1: {A: []int{5}}, 2: nil},
		Data:   []byte{0, 1, 2, 255},
		Fixed:  [4]int16{-1, 0, 1, math.MaxInt16},
		When:   when,
		Big:    big1,
		Flag:   true,
		F32:    1.5,
		Matrix: [][]uint8{{1, 2}, nil, {}},
		Sets:   map[string][]string{"k": {"v1", "v2"}, "nil": nil},
	}
	got := roundTrip(t, c, msg, "nested").(*Nested)
	assert.True(t, when.Equal(got.When), "%v != %v", when, got.When)
	got.When = when
	assert.Equal(t, msg, got)
	// nil and empty stay apart.
	assert.NotNil(t, got.PInner.A)
	assert.Nil(t, got.Matrix[1])
	assert.NotNil(t, got.Matrix[2])
	assert.Nil(t, got.Sets["nil"])

	// Zero values.
	got = roundTrip(t, c, &Nested{}, "nested").(*Nested)
	assert.Equal(t, &Nested{}, got)
}

func TestCBORTimeKeepsOffset(t *testing.T) {
	c := newCodec(t)
	when := time.Date(2024, 2, 29, 23, 59, 59, 1, time.FixedZone("X", -7*3600))
	got := roundTrip(t, c, when, "time").(time.Time)
	assert.True(t, when.Equal(got))
	_, off := got.Zone()
	assert.Equal(t, -7*3600, off)
	assert.Equal(t, 1, got.Nanosecond())
}

func TestCBORMapsSlicesScalars(t *testing.T) {
	c := newCodec(t)
	assert.Equal(t, map[string][]int{"a": {1}, "b": nil, "c": {}},
		roundTrip(t, c, map[string][]int{"a": {1}, "b": nil, "c": {}}, "map"))
	assert.Equal(t, Ints{3, 2, 1}, roundTrip(t, c, Ints{3, 2, 1}, "ints"))
	assert.Equal(t, Ints(nil), roundTrip(t, c, Ints(nil), "ints"))
	assert.Equal(t, "str", roundTrip(t, c, "str", "string"))
	assert.Equal(t, int64(math.MinInt64), roundTrip(t, c, int64(math.MinInt64), "int64"))
	assert.Equal(t, []byte("raw"), roundTrip(t, c, []byte("raw"), "bytes"))
	// A []int is not an Ints: it is the built-in []int.
	assert.Equal(t, []int{1}, roundTrip(t, c, []int{1}, "go:[]int"))
}

func TestCBORRecursiveTypes(t *testing.T) {
	c := newCodec(t)
	tree := &Tree{Val: 1, Kids: []*Tree{{Val: 2}, {Val: 3, Kids: []*Tree{{Val: 4}}}}}
	assert.Equal(t, tree, roundTrip(t, c, tree, "tree"))

	list := &Node{Val: 1, Next: &Node{Val: 2, Next: &Node{Val: 3}}}
	assert.Equal(t, list, roundTrip(t, c, list, "node"))

	// A shared subtree (not a cycle) is encoded twice.
	leaf := &Tree{Val: 9}
	dag := &Tree{Kids: []*Tree{leaf, leaf}}
	got := roundTrip(t, c, dag, "tree").(*Tree)
	assert.Equal(t, dag, got)
}

func TestCBORInterfaceField(t *testing.T) {
	c := newCodec(t)
	msg := WithAny{V: map[string]any{"n": -1, "s": "x", "l": []any{true, 2.5, nil}}}
	got := roundTrip(t, c, msg, "any").(WithAny)
	// Interface values decode as CBOR's generic Go types.
	assert.Equal(t, WithAny{V: map[any]any{"n": int64(-1), "s": "x", "l": []any{true, 2.5, nil}}}, got)

	// A registered struct in an interface field is walked and encoded as a
	// map.
	got = roundTrip(t, c, WithAny{V: &Tree{Val: 1}}, "any").(WithAny)
	assert.Equal(t, WithAny{V: map[any]any{"Val": uint64(1), "Kids": nil}}, got)
}

func TestCBOREmbeddedAndTags(t *testing.T) {
	c := newCodec(t)
	got := roundTrip(t, c, Embedded{Ping: Ping{N: 1, S: "s"}, Extra: "e"}, "embedded")
	assert.Equal(t, Embedded{Ping: Ping{N: 1, S: "s"}, Extra: "e"}, got)

	got = roundTrip(t, c, Tagged{Keep: 5, Skip: func() {}, JSkip: make(chan int), hidden: make(chan int)}, "tagged")
	assert.Equal(t, Tagged{Keep: 5}, got)
}

// The decoded message owns its memory: the payload buffer may be reused.
func TestDecodeDoesNotAliasPayload(t *testing.T) {
	c := newCodec(t)
	for _, msg := range []any{
		&Nested{Name: "name", Data: []byte("data"), Tags: []string{"tag"}},
		[]byte("bytes"),
		wrapperspb.Bytes([]byte("proto bytes")),
		wrapperspb.String("proto string"),
	} {
		name, b, err := c.AppendEncode(nil, msg)
		require.NoError(t, err)
		got, err := c.Decode(name, b)
		require.NoError(t, err)
		for i := range b {
			b[i] = 0xEE
		}
		if m, ok := msg.(proto.Message); ok {
			assert.True(t, proto.Equal(m, got.(proto.Message)))
		} else {
			assert.Equal(t, msg, got)
		}
	}
}

func TestAppendEncodeReusesCapacity(t *testing.T) {
	c := newCodec(t)
	buf := make([]byte, 0, 256)
	for _, msg := range []any{&Ping{N: 1, S: "x"}, wrapperspb.Int64(1)} {
		_, out, err := c.AppendEncode(buf, msg)
		require.NoError(t, err)
		assert.Same(t, &buf[:1][0], &out[0], "%T: the payload was not written into dst", msg)
	}
}

func TestNames(t *testing.T) {
	c := newCodec(t)
	names := c.Names()
	assert.True(t, slices.IsSorted(names))
	assert.Len(t, names, 15)
	assert.Contains(t, names, "ping")
	names[0] = "changed"
	assert.NotEqual(t, "changed", c.Names()[0], "Names returns a copy")

	empty, err := codec.New()
	require.NoError(t, err)
	assert.Empty(t, empty.Names())
	// A codec without registrations still handles protobuf.
	got := roundTrip(t, empty, wrapperspb.Int64(3), "pb:google.protobuf.Int64Value")
	assert.Equal(t, int64(3), got.(*wrapperspb.Int64Value).Value)
}

// The zero Codec and a nil *Codec handle protobuf messages and the built-in
// Go types, and nothing else.
func TestZeroAndNilCodec(t *testing.T) {
	for _, c := range []*codec.Codec{nil, {}} {
		got := roundTrip(t, c, wrapperspb.Int64(3), "pb:google.protobuf.Int64Value")
		assert.Equal(t, int64(3), got.(*wrapperspb.Int64Value).Value)
		assert.Equal(t, map[string]int{"a": 1}, roundTrip(t, c, map[string]int{"a": 1}, "go:map[string]int"))
		_, _, err := c.AppendEncode(nil, &Ping{})
		assert.ErrorIs(t, err, codec.ErrUnknownType)
		_, err = c.Decode("ping", []byte{0xa0})
		assert.ErrorIs(t, err, codec.ErrUnknownType)
		assert.Empty(t, c.Names())
	}
}
