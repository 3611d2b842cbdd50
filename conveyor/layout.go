package conveyor

import (
	"fmt"
	"reflect"
	"unsafe"
)

// Encoding is a fixed-size encoding of T, for values that are not of fixed
// shape in memory (WithEncoding).
type Encoding[T any] interface {
	// Size is the bytes of every value's encoding: at least 0, the same for
	// every value.
	Size() int
	// Put writes v into b, which has Size() bytes.
	Put(b []byte, v *T)
	// Get reads a value from b, which has Size() bytes, into v.
	Get(b []byte, v *T)
}

// layout is how a Conveyor[T] lays values out in a batch: stride bytes
// each, copied as memory (enc nil) or through an Encoding.
type layout[T any] struct {
	stride int
	align  uintptr
	enc    Encoding[T]
}

func newLayout[T any](encoding any) (layout[T], error) {
	t := reflect.TypeFor[T]()
	if encoding != nil {
		enc, ok := encoding.(Encoding[T])
		if !ok {
			return layout[T]{}, fmt.Errorf("%w: %T is not an Encoding[%v]", ErrNotFixed, encoding, t)
		}
		if enc.Size() < 0 {
			return layout[T]{}, fmt.Errorf("%w: %T has size %d", ErrNotFixed, encoding, enc.Size())
		}
		return layout[T]{stride: enc.Size(), align: 1, enc: enc}, nil
	}
	if !fixedShape(t) {
		return layout[T]{}, fmt.Errorf("%w: %v holds references (give it an Encoding with WithEncoding)", ErrNotFixed, t)
	}
	return layout[T]{stride: int(t.Size()), align: uintptr(t.Align())}, nil
}

// fixedShape reports whether t's values are plain memory: numbers, bools,
// and arrays and structs of them.
func fixedShape(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Array:
		return fixedShape(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !fixedShape(t.Field(i).Type) {
				return false
			}
		}
		return true
	default: // pointers, uintptr, strings, slices, maps, interfaces, channels, funcs
		return false
	}
}

// put writes v at b[0:stride]; b is aligned for T when enc is nil. v is
// passed by value, and only putEncoded takes its address: a pointer handed
// to an interface method would move every sender's value to the heap.
func (l *layout[T]) put(b []byte, v T) {
	if l.enc != nil {
		l.putEncoded(b, v)
		return
	}
	if l.stride > 0 {
		*(*T)(unsafe.Pointer(unsafe.SliceData(b))) = v
	}
}

//go:noinline
func (l *layout[T]) putEncoded(b []byte, v T) { l.enc.Put(b[:l.stride], &v) }

// get reads b[0:stride] into v; b is aligned for T when enc is nil.
func (l *layout[T]) get(b []byte, v *T) {
	if l.enc != nil {
		l.enc.Get(b[:l.stride], v)
		return
	}
	if l.stride > 0 {
		*v = *(*T)(unsafe.Pointer(unsafe.SliceData(b)))
	}
}

// aligned reports whether b's first byte is aligned for T.
func (l *layout[T]) aligned(b []byte) bool {
	return len(b) == 0 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%l.align == 0
}

// IsFixed reports whether T is of fixed shape (see the package doc), so
// that a Conveyor[T] needs no Encoding.
func IsFixed[T any]() bool { return fixedShape(reflect.TypeFor[T]()) }
