package codec

import (
	"fmt"
	"reflect"
	"slices"
)

// builtinPrefix starts the name of every built-in Go type and of no
// registered name.
const builtinPrefix = "go:"

// builtins are the Go types every Codec encodes with CBOR without
// registration (see the package doc), set at initialization and never
// changed. Their names are part of the wire format: a name, once given, names
// the same type for ever.
var builtins = newBuiltinTable(
	builtin[bool]("bool"),
	builtin[string]("string"),
	builtin[[]byte]("[]byte"),
	builtin[int]("int"),
	builtin[int8]("int8"),
	builtin[int16]("int16"),
	builtin[int32]("int32"),
	builtin[int64]("int64"),
	builtin[uint]("uint"),
	builtin[uint8]("uint8"),
	builtin[uint16]("uint16"),
	builtin[uint32]("uint32"),
	builtin[uint64]("uint64"),
	builtin[float32]("float32"),
	builtin[float64]("float64"),

	// Slices of each; []uint8 is []byte, above.
	builtin[[]bool]("[]bool"),
	builtin[[]string]("[]string"),
	builtin[[][]byte]("[][]byte"),
	builtin[[]int]("[]int"),
	builtin[[]int8]("[]int8"),
	builtin[[]int16]("[]int16"),
	builtin[[]int32]("[]int32"),
	builtin[[]int64]("[]int64"),
	builtin[[]uint]("[]uint"),
	builtin[[]uint16]("[]uint16"),
	builtin[[]uint32]("[]uint32"),
	builtin[[]uint64]("[]uint64"),
	builtin[[]float32]("[]float32"),
	builtin[[]float64]("[]float64"),

	// Maps from strings to each.
	builtin[map[string]bool]("map[string]bool"),
	builtin[map[string]string]("map[string]string"),
	builtin[map[string][]byte]("map[string][]byte"),
	builtin[map[string]int]("map[string]int"),
	builtin[map[string]int8]("map[string]int8"),
	builtin[map[string]int16]("map[string]int16"),
	builtin[map[string]int32]("map[string]int32"),
	builtin[map[string]int64]("map[string]int64"),
	builtin[map[string]uint]("map[string]uint"),
	builtin[map[string]uint8]("map[string]uint8"),
	builtin[map[string]uint16]("map[string]uint16"),
	builtin[map[string]uint32]("map[string]uint32"),
	builtin[map[string]uint64]("map[string]uint64"),
	builtin[map[string]float32]("map[string]float32"),
	builtin[map[string]float64]("map[string]float64"),

	// A few maps with integer keys.
	builtin[map[int]int]("map[int]int"),
	builtin[map[int64]int64]("map[int64]int64"),
	builtin[map[int]string]("map[int]string"),
)

// builtinTable indexes the built-in types by name and by type.
type builtinTable struct {
	byName map[string]*goType
	byType map[reflect.Type]*goType
	names  []string // sorted
}

// builtin is the built-in type T, named builtinPrefix+name.
func builtin[T any](name string) *goType {
	return &goType{name: builtinPrefix + name, typ: reflect.TypeFor[T](), decode: decodeAs[T]}
}

func newBuiltinTable(types ...*goType) *builtinTable {
	b := &builtinTable{byName: map[string]*goType{}, byType: map[reflect.Type]*goType{}}
	for _, gt := range types {
		if b.byName[gt.name] != nil || b.byType[gt.typ] != nil {
			panic(fmt.Sprintf("codec: built-in %q (%v) listed twice", gt.name, gt.typ))
		}
		b.byName[gt.name] = gt
		b.byType[gt.typ] = gt
		b.names = append(b.names, gt.name)
	}
	slices.Sort(b.names)
	return b
}

// BuiltinNames returns the names of the built-in Go types, which every Codec
// encodes and decodes without registration, sorted, in a new slice.
func BuiltinNames() []string {
	return slices.Clone(builtins.names)
}
