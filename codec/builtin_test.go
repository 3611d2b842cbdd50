package codec_test

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/codec"
)

// builtinValues has, for every built-in type, values that must survive a
// round trip: zero, extremes, and for slices and maps nil, empty and a few
// elements.
var builtinValues = map[string][]any{
	"go:bool":    {false, true},
	"go:string":  {"", "héllo", "\x00\xff not UTF-8", strings.Repeat("s", 1000)},
	"go:[]byte":  {[]byte(nil), []byte{}, []byte{0, 1, 0xff}},
	"go:int":     {0, -1, 23, 24, math.MinInt, math.MaxInt},
	"go:int8":    {int8(0), int8(math.MinInt8), int8(math.MaxInt8)},
	"go:int16":   {int16(0), int16(math.MinInt16), int16(math.MaxInt16)},
	"go:int32":   {int32(0), int32(math.MinInt32), int32(math.MaxInt32)},
	"go:int64":   {int64(0), int64(math.MinInt64), int64(math.MaxInt64)},
	"go:uint":    {uint(0), uint(math.MaxUint)},
	"go:uint8":   {uint8(0), uint8(math.MaxUint8)},
	"go:uint16":  {uint16(0), uint16(math.MaxUint16)},
	"go:uint32":  {uint32(0), uint32(math.MaxUint32)},
	"go:uint64":  {uint64(0), uint64(math.MaxUint64)},
	"go:float32": {float32(0), float32(-1.5), float32(math.MaxFloat32), float32(math.SmallestNonzeroFloat32), float32(math.Inf(-1))},
	"go:float64": {0.0, math.Copysign(0, -1), 1.0 / 3, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1)},

	"go:[]bool":    {[]bool(nil), []bool{}, []bool{true, false}},
	"go:[]string":  {[]string(nil), []string{}, []string{"", "a", "bc"}},
	"go:[][]byte":  {[][]byte(nil), [][]byte{}, [][]byte{nil, {}, {1}}},
	"go:[]int":     {[]int(nil), []int{}, []int{math.MinInt, 0, math.MaxInt}},
	"go:[]int8":    {[]int8(nil), []int8{}, []int8{-128, 127}},
	"go:[]int16":   {[]int16(nil), []int16{}, []int16{-1, 1}},
	"go:[]int32":   {[]int32(nil), []int32{}, []int32{math.MinInt32, 7}},
	"go:[]int64":   {[]int64(nil), []int64{}, []int64{math.MinInt64, math.MaxInt64}},
	"go:[]uint":    {[]uint(nil), []uint{}, []uint{math.MaxUint}},
	"go:[]uint16":  {[]uint16(nil), []uint16{}, []uint16{math.MaxUint16}},
	"go:[]uint32":  {[]uint32(nil), []uint32{}, []uint32{math.MaxUint32}},
	"go:[]uint64":  {[]uint64(nil), []uint64{}, []uint64{0, math.MaxUint64}},
	"go:[]float32": {[]float32(nil), []float32{}, []float32{1.25, float32(math.Inf(1))}},
	"go:[]float64": {[]float64(nil), []float64{}, []float64{-2.5, 1e300}},

	"go:map[string]bool":    {map[string]bool(nil), map[string]bool{}, map[string]bool{"t": true, "f": false}},
	"go:map[string]string":  {map[string]string(nil), map[string]string{}, map[string]string{"": "", "k": "v"}},
	"go:map[string][]byte":  {map[string][]byte(nil), map[string][]byte{}, map[string][]byte{"nil": nil, "empty": {}, "x": {1}}},
	"go:map[string]int":     {map[string]int(nil), map[string]int{}, map[string]int{"min": math.MinInt, "max": math.MaxInt}},
	"go:map[string]int8":    {map[string]int8(nil), map[string]int8{}, map[string]int8{"a": -8}},
	"go:map[string]int16":   {map[string]int16(nil), map[string]int16{}, map[string]int16{"a": -16}},
	"go:map[string]int32":   {map[string]int32(nil), map[string]int32{}, map[string]int32{"a": -32}},
	"go:map[string]int64":   {map[string]int64(nil), map[string]int64{}, map[string]int64{"a": math.MinInt64}},
	"go:map[string]uint":    {map[string]uint(nil), map[string]uint{}, map[string]uint{"a": math.MaxUint}},
	"go:map[string]uint8":   {map[string]uint8(nil), map[string]uint8{}, map[string]uint8{"a": 255}},
	"go:map[string]uint16":  {map[string]uint16(nil), map[string]uint16{}, map[string]uint16{"a": 65535}},
	"go:map[string]uint32":  {map[string]uint32(nil), map[string]uint32{}, map[string]uint32{"a": math.MaxUint32}},
	"go:map[string]uint64":  {map[string]uint64(nil), map[string]uint64{}, map[string]uint64{"a": math.MaxUint64}},
	"go:map[string]float32": {map[string]float32(nil), map[string]float32{}, map[string]float32{"a": 0.5}},
	"go:map[string]float64": {map[string]float64(nil), map[string]float64{}, map[string]float64{"a": -0.25}},

	"go:map[int]int":     {map[int]int(nil), map[int]int{}, map[int]int{math.MinInt: -1, 0: 0, math.MaxInt: 1}},
	"go:map[int64]int64": {map[int64]int64(nil), map[int64]int64{}, map[int64]int64{-1: math.MaxInt64}},
	"go:map[int]string":  {map[int]string(nil), map[int]string{}, map[int]string{-5: "minus five", 5: ""}},
}

// Every built-in type round-trips, with no registration, through a Codec
// from New, the zero Codec and a nil *Codec, under its "go:" name.
func TestBuiltinRoundTrip(t *testing.T) {
	names := make([]string, 0, len(builtinValues))
	for name := range builtinValues {
		names = append(names, name)
	}
	slices.Sort(names)
	require.Equal(t, names, codec.BuiltinNames(), "builtinValues covers exactly the built-in types")

	fresh, err := codec.New()
	require.NoError(t, err)
	for _, c := range []*codec.Codec{fresh, {}, nil} {
		for _, name := range names {
			for _, v := range builtinValues[name] {
				t.Run(fmt.Sprintf("%s/%.40v", name, v), func(t *testing.T) {
					got := roundTrip(t, c, v, name)
					require.IsType(t, v, got)
					assert.Equal(t, v, got)
					if f, ok := v.(float64); ok {
						// -0 keeps its sign.
						assert.Equal(t, math.Float64bits(f), math.Float64bits(got.(float64)))
					}
				})
			}
		}
	}
}

// A built-in type's name is "go:" and the type as Go spells it, with byte
// for uint8 in slices ([]byte, not []uint8).
func TestBuiltinNames(t *testing.T) {
	names := codec.BuiltinNames()
	assert.True(t, slices.IsSorted(names))
	assert.Len(t, names, 47)
	names[0] = "changed"
	assert.NotEqual(t, "changed", codec.BuiltinNames()[0], "BuiltinNames returns a copy")
	for name, values := range builtinValues {
		typ := reflect.TypeOf(values[0]).String()
		assert.Equal(t, "go:"+strings.ReplaceAll(typ, "[]uint8", "[]byte"), name)
		assert.LessOrEqual(t, len(name), codec.MaxNameLen)
	}
}

// NaN survives (it is not equal to itself, so it is checked apart).
func TestBuiltinNaN(t *testing.T) {
	got := roundTrip(t, nil, math.NaN(), "go:float64")
	assert.True(t, math.IsNaN(got.(float64)))
	got32 := roundTrip(t, nil, []float32{float32(math.NaN())}, "go:[]float32")
	assert.True(t, math.IsNaN(float64(got32.([]float32)[0])))
}

// Only the exact types are built in: named types, pointers and other
// compositions need registering.
func TestBuiltinExactTypesOnly(t *testing.T) {
	type myInt int
	type myInts []int
	var n int
	for _, v := range []any{myInt(1), myInts{1}, &n, [][]int{{1}}, []any{1}, map[string]any{}, map[int]bool{}, [2]int{}, complex(1, 2)} {
		_, _, err := (*codec.Codec)(nil).AppendEncode(nil, v)
		assert.ErrorIs(t, err, codec.ErrUnknownType, "%T", v)
	}
}

// A program that registered a built-in type under its own name keeps
// sending that name; the "go:" name decodes too, to the same type, and the
// two payloads are the same.
func TestRegistrationTakesPrecedence(t *testing.T) {
	c, err := codec.New(codec.Type[string]("my.string"), codec.Type[[]float64]("my.floats"), codec.Type[map[string]int]("my.counts"))
	require.NoError(t, err)
	assert.Equal(t, []string{"my.counts", "my.floats", "my.string"}, c.Names(), "Names lists registrations only")

	for _, tt := range []struct {
		v             any
		mine, builtIn string
	}{
		{"text", "my.string", "go:string"},
		{[]float64{1, 2.5}, "my.floats", "go:[]float64"},
		{map[string]int{"a": 1}, "my.counts", "go:map[string]int"},
	} {
		name, payload, err := c.AppendEncode(nil, tt.v)
		require.NoError(t, err)
		assert.Equal(t, tt.mine, name)
		for _, n := range []string{tt.mine, tt.builtIn} {
			got, err := c.Decode(n, payload)
			require.NoError(t, err, n)
			assert.Equal(t, tt.v, got, n)
		}
		// A codec without the registration sends the built-in name
		// and the same payload.
		name, payload2, err := (*codec.Codec)(nil).AppendEncode(nil, tt.v)
		require.NoError(t, err)
		assert.Equal(t, tt.builtIn, name)
		assert.Equal(t, payload, payload2)
		// It does not know the registered name.
		_, err = (*codec.Codec)(nil).Decode(tt.mine, payload)
		assert.ErrorIs(t, err, codec.ErrUnknownType)
	}
	// Unregistered built-ins are still built in.
	assert.Equal(t, 7, roundTrip(t, c, 7, "go:int"))
}

// Values far past the CBOR library's default limits (131 072 elements) and
// the 65 536 of earlier versions round-trip: a map of a million entries and
// a slice of ten million ints, a payload of tens of MiB.
func TestBuiltinLargeValues(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of MiB")
	}
	var c *codec.Codec

	ints := make([]int, 10_000_000)
	for i := range ints {
		ints[i] = i * 7919 // spread over the encodings' sizes
	}
	name, payload, err := c.AppendEncode(nil, ints)
	require.NoError(t, err)
	require.Equal(t, "go:[]int", name)
	got, err := c.Decode(name, payload)
	require.NoError(t, err)
	require.True(t, slices.Equal(ints, got.([]int)), "10 M ints")
	t.Logf("10 M ints: %d MiB payload", len(payload)>>20)
	ints, got = nil, nil

	m := make(map[string]int64, 1_000_000)
	for i := range 1_000_000 {
		m[fmt.Sprint("key-", i)] = int64(-i)
	}
	name, payload, err = c.AppendEncode(nil, m)
	require.NoError(t, err)
	require.Equal(t, "go:map[string]int64", name)
	got, err = c.Decode(name, payload)
	require.NoError(t, err)
	require.Equal(t, m, got, "1 M map entries")
	t.Logf("1 M map entries: %d MiB payload", len(payload)>>20)

	// A string and a byte string of 64 MiB.
	s := strings.Repeat("0123456789abcdef", 4<<20)
	assert.Equal(t, s, roundTrip(t, c, s, "go:string"))
	b := []byte(s)
	assert.Equal(t, b, roundTrip(t, c, b, "go:[]byte"))
}
