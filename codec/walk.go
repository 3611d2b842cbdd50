package codec

// This file keeps AppendEncode from handing the CBOR encoder a value it
// cannot finish. The encoder follows pointers, interfaces, slices and maps
// without limit, so a cyclic value (a tree whose exported parent pointer
// leads back up, a map[string]any that contains itself) would recurse until
// the goroutine's stack overflows, which is fatal, not a recoverable panic;
// and a type that is a pointer to itself (type P *P) would make it loop for
// ever. So:
//
//   - at registration, analyzeType rejects types the encoder does not support
//     and pointer-type cycles, and tells whether values of the type may be
//     cyclic or hold interface values (whose dynamic types are unknown);
//   - for those types only, AppendEncode first walks the value along the
//     edges the encoder follows, counting nesting as the decoder does, and
//     fails with ErrEncode once the nesting exceeds what Decode accepts
//     (which any cycle does) or a run of pointers and interfaces between two
//     containers grows longer than any real value's.
//
// The walk follows the struct fields the encoder can see: exported fields,
// fields of embedded structs (exported or not), minus those tagged "-". It
// does not apply the encoder's rule that hides an embedded field behind a
// shallower one of the same name, so in that rare case it may reject a value
// the encoder would have encoded; it never follows fewer edges than the
// encoder.

import (
	"encoding"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

const (
	// maxPointerChain bounds a chain of pointer types (***T); a longer one is
	// taken for a type that is a pointer to itself.
	maxPointerChain = 32
	// maxHops bounds the pointers and interfaces the walk follows in a row
	// without entering a map, array or struct encoded as a CBOR container.
	maxHops = 32
)

// Types the walk treats specially, set at initialization and never changed.
var (
	typeTime          = reflect.TypeFor[time.Time]()
	typeBigInt        = reflect.TypeFor[big.Int]()
	typeCBORTag       = reflect.TypeFor[cbor.Tag]()
	typeRawMessage    = reflect.TypeFor[cbor.RawMessage]()
	typeByteString    = reflect.TypeFor[cbor.ByteString]()
	typeSimpleValue   = reflect.TypeFor[cbor.SimpleValue]()
	typeMarshaler     = reflect.TypeFor[cbor.Marshaler]()
	typeBinaryMarshal = reflect.TypeFor[encoding.BinaryMarshaler]()
)

// errPointerCycle is reported for a pointer type that points to itself.
var errPointerCycle = errors.New("pointer type that points to itself (or a chain of more than 32 pointer types)")

// fieldPlan is a struct field the encoder may encode: its index path (more
// than one index for a field promoted from an embedded struct) and type.
type fieldPlan struct {
	path []int
	typ  reflect.Type
}

// plans holds the fieldPlans of the struct types met at registration. It is
// filled by New and only read afterwards.
type plans map[reflect.Type][]fieldPlan

// derefType strips pointer types off t. It reports false for a pointer type
// cycle.
func derefType(t reflect.Type) (reflect.Type, bool) {
	for range maxPointerChain {
		if t.Kind() != reflect.Pointer {
			return t, true
		}
		t = t.Elem()
	}
	return t, t.Kind() != reflect.Pointer
}

// isOpaque reports whether the encoder encodes values of t by a method or
// special case of its own rather than by their structure, so the walk stops
// there. cbor.Tag is not opaque: its Content is walked.
func isOpaque(t reflect.Type) bool {
	switch t {
	case typeTime, typeBigInt, typeRawMessage, typeByteString, typeSimpleValue:
		return true
	}
	if t.Kind() == reflect.Interface || t.Kind() == reflect.Pointer {
		return false
	}
	pt := reflect.PointerTo(t)
	return pt.Implements(typeMarshaler) || pt.Implements(typeBinaryMarshal)
}

// isScalar reports whether values of kind k hold no other values.
func isScalar(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// isFlat reports whether values of t need no walk: scalars and opaque types.
func isFlat(t reflect.Type) bool {
	return isScalar(t.Kind()) || isOpaque(t)
}

// followField reports whether the encoder may encode struct field f, and
// whether f is an embedded struct whose fields it promotes.
func followField(f reflect.StructField) (follow, promoted bool) {
	ft, ok := derefType(f.Type)
	if !ok {
		// Not a struct: only exported fields count, and analyzeType
		// rejects the type if it does.
		return f.IsExported(), false
	}
	if !f.IsExported() && !(f.Anonymous && ft.Kind() == reflect.Struct) {
		return false, false
	}
	tag := f.Tag.Get("cbor")
	if tag == "" {
		tag = f.Tag.Get("json")
	}
	if tag == "-" {
		return false, false
	}
	name, _, _ := strings.Cut(tag, ",")
	return true, f.Anonymous && ft.Kind() == reflect.Struct && name == ""
}

// structPlan lists the fields of struct type t that the encoder may encode,
// with the fields of embedded structs promoted level by level: an embedded
// struct type already seen at a shallower level, or embedded more than once at
// the same level, is skipped, as the encoder skips it.
func structPlan(t reflect.Type) []fieldPlan {
	type embedded struct {
		typ  reflect.Type
		path []int
	}
	var out []fieldPlan
	seen := map[reflect.Type]bool{t: true}
	level := []embedded{{typ: t}}
	for len(level) > 0 {
		var next []embedded
		count := map[reflect.Type]int{}
		for _, e := range level {
			for i := range e.typ.NumField() {
				f := e.typ.Field(i)
				follow, promoted := followField(f)
				if !follow {
					continue
				}
				path := append(e.path[:len(e.path):len(e.path)], i)
				if promoted {
					ft, _ := derefType(f.Type)
					next = append(next, embedded{typ: ft, path: path})
					count[ft]++
					continue
				}
				out = append(out, fieldPlan{path: path, typ: f.Type})
			}
		}
		level = level[:0]
		for _, e := range next {
			if count[e.typ] > 1 || seen[e.typ] {
				continue
			}
			level = append(level, e)
		}
		for _, e := range next {
			seen[e.typ] = true
		}
	}
	return out
}

// analyzeType checks that the encoder supports every type reachable from t
// along the edges it follows, records the plans of the struct types on the
// way in ps and the types it checked in known, and reports whether values of
// t must be walked before encoding: whether t reaches itself (so a value may
// be cyclic) or an interface type.
func analyzeType(t reflect.Type, ps plans, known map[reflect.Type]bool) (walk bool, err error) {
	if t.Kind() == reflect.Interface {
		return false, errors.New("an interface type is never the dynamic type of a value")
	}
	for pt, i := t, 0; i <= maxPointerChain; i++ {
		if pt.Implements(typeProtoMessage) || reflect.PointerTo(pt).Implements(typeProtoMessage) {
			return false, fmt.Errorf("%v is a protobuf message, which needs no registration", pt)
		}
		if pt.Kind() != reflect.Pointer {
			break
		}
		pt = pt.Elem()
	}
	return newAnalysis(ps, known).visit(t)
}

// analysis is the state of one analyzeType.
type analysis struct {
	state map[reflect.Type]uint8 // onPath or done
	plans plans
	known map[reflect.Type]bool // done types, with whether they need a walk
}

func newAnalysis(ps plans, known map[reflect.Type]bool) *analysis {
	return &analysis{state: map[reflect.Type]uint8{}, plans: ps, known: known}
}

const (
	onPath = 1
	done   = 2
)

func (a *analysis) visit(t reflect.Type) (bool, error) {
	t, ok := derefType(t)
	if !ok {
		return false, errPointerCycle
	}
	if a.state[t] == onPath {
		return true, nil // t reaches itself
	}
	if walk, ok := a.known[t]; ok {
		return walk, nil
	}
	a.state[t] = onPath
	walk, err := a.visitNew(t)
	if err != nil {
		return false, err
	}
	a.state[t] = done
	a.known[t] = walk
	return walk, nil
}

func (a *analysis) visitNew(t reflect.Type) (bool, error) {
	if t == typeCBORTag {
		return true, nil // its Content is an any
	}
	if isOpaque(t) {
		return false, nil
	}
	k := t.Kind()
	switch {
	case isScalar(k):
		return false, nil
	case k == reflect.Interface:
		return true, nil
	case k == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return false, nil // a byte string
	case k == reflect.Slice || k == reflect.Array:
		return a.visit(t.Elem())
	case k == reflect.Map:
		kw, err := a.visit(t.Key())
		if err != nil {
			return false, err
		}
		ew, err := a.visit(t.Elem())
		return kw || ew, err
	case k == reflect.Struct:
		p, ok := a.plans[t]
		if !ok {
			p = structPlan(t)
			a.plans[t] = p
		}
		walk := false
		for _, f := range p {
			w, err := a.visit(f.typ)
			if err != nil {
				return false, err
			}
			walk = walk || w
		}
		return walk, nil
	}
	return false, fmt.Errorf("CBOR cannot encode type %v (kind %v)", t, k)
}

// walker checks a value's shape before it is encoded (see the top of this
// file).
type walker struct {
	// plans and known are filled by New and only read afterwards: the
	// plans of the struct types met at registration, and every type whose
	// graph analyzeType has checked.
	plans plans
	known map[reflect.Type]bool
}

// value walks v, found at nesting depth (the number of CBOR containers around
// it) after hops pointers and interfaces since the last container.
func (w walker) value(v reflect.Value, depth, hops int) error {
	v, hops, err := w.peel(v, hops)
	if err != nil || !v.IsValid() {
		return err
	}
	return w.shaped(v, depth, hops)
}

// peel follows pointers and interfaces from v to the value they lead to, or
// to the invalid Value at a nil one. The dynamic type of each interface is
// checked the way analyzeType checks registered types, since the encoder will
// build its encoding functions for that type too.
func (w walker) peel(v reflect.Value, hops int) (reflect.Value, int, error) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return reflect.Value{}, hops, nil
		}
		hops++
		if hops > maxHops {
			return reflect.Value{}, hops, fmt.Errorf("more than %d pointers and interfaces in a row: a cyclic value?", maxHops)
		}
		iface := v.Kind() == reflect.Interface
		v = v.Elem()
		if iface {
			if err := w.checkDynamic(v.Type()); err != nil {
				return reflect.Value{}, hops, err
			}
		}
	}
	return v, hops, nil
}

// checkDynamic checks a type met as the dynamic type of an interface value.
func (w walker) checkDynamic(t reflect.Type) error {
	bt, ok := derefType(t)
	if !ok {
		return fmt.Errorf("%v: %w", t, errPointerCycle)
	}
	if _, ok := w.known[bt]; ok || isFlat(bt) || isGeneric(bt) {
		return nil
	}
	a := newAnalysis(plans{}, map[reflect.Type]bool{})
	if _, err := a.visit(bt); err != nil {
		return fmt.Errorf("%v: %w", t, err)
	}
	return nil
}

// isGeneric reports whether t is a slice, array or map of scalars and
// interfaces, such as []any or map[string]any, which need no analysis.
func isGeneric(t reflect.Type) bool {
	ok := func(t reflect.Type) bool {
		return isScalar(t.Kind()) || t.Kind() == reflect.Interface
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return ok(t.Elem())
	case reflect.Map:
		return ok(t.Key()) && ok(t.Elem())
	}
	return false
}

// shaped walks v, which is neither a pointer nor an interface.
func (w walker) shaped(v reflect.Value, depth, hops int) error {
	t := v.Type()
	if t == typeCBORTag {
		return w.tag(v, depth, hops)
	}
	if isFlat(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if err := enter(depth + 1); err != nil {
			return err
		}
		return w.structFields(v, depth+1)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // a byte string
		}
		if err := enter(depth + 1); err != nil {
			return err
		}
		if v.Len() > maxArrayElements {
			return fmt.Errorf("%v has %d elements, more than the %d Decode accepts", t, v.Len(), maxArrayElements)
		}
		if isFlat(t.Elem()) {
			return nil
		}
		for i := range v.Len() {
			if err := w.value(v.Index(i), depth+1, 0); err != nil {
				return err
			}
		}
	case reflect.Map:
		if err := enter(depth + 1); err != nil {
			return err
		}
		if v.Len() > maxMapPairs {
			return fmt.Errorf("%v has %d entries, more than the %d Decode accepts", t, v.Len(), maxMapPairs)
		}
		flatKey, flatElem := isFlat(t.Key()), isFlat(t.Elem())
		if flatKey && flatElem {
			return nil
		}
		for it := v.MapRange(); it.Next(); {
			if !flatKey {
				if err := w.value(it.Key(), depth+1, 0); err != nil {
					return err
				}
			}
			if !flatElem {
				if err := w.value(it.Value(), depth+1, 0); err != nil {
					return err
				}
			}
		}
	}
	// Other kinds are left to the encoder, which rejects them.
	return nil
}

// enter checks the nesting depth of a container.
func enter(depth int) error {
	if depth > maxNestedLevels {
		return fmt.Errorf("nested more than %d levels deep, the most Decode accepts (a cyclic value?)", maxNestedLevels)
	}
	return nil
}

// tag walks a cbor.Tag. The decoder counts a tag as a level of nesting only
// when its content is itself a tag.
func (w walker) tag(v reflect.Value, depth, hops int) error {
	content, hops, err := w.peel(v.FieldByName("Content"), hops)
	if err != nil || !content.IsValid() {
		return err
	}
	if content.Type() == typeCBORTag {
		if err := enter(depth + 1); err != nil {
			return err
		}
		return w.tag(content, depth+1, 0)
	}
	return w.shaped(content, depth, hops)
}

// structFields walks the fields of struct value v that the encoder may
// encode.
func (w walker) structFields(v reflect.Value, depth int) error {
	p, ok := w.plans[v.Type()]
	if !ok {
		p = structPlan(v.Type()) // a struct type met only under an interface
	}
fields:
	for _, f := range p {
		fv := v
		for i, idx := range f.path {
			if i > 0 && fv.Kind() == reflect.Pointer {
				// An embedded *S: the encoder skips its fields when nil.
				if fv.IsNil() {
					continue fields
				}
				fv = fv.Elem()
			}
			fv = fv.Field(idx)
		}
		if err := w.value(fv, depth, 0); err != nil {
			return err
		}
	}
	return nil
}
