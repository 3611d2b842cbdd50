package mapreduce

import (
	"reflect"
	"unsafe"
)

// sizer estimates how many bytes of memory a value of type T holds: its
// own size and, for strings, slices, maps and pointers, what they refer
// to. The estimate is what the memory budget counts; it is built once per
// type, and costs nothing beyond a length for strings and flat types.
type sizer[T any] struct {
	flat  int                       // unsafe.Sizeof(T)
	extra func(v reflect.Value) int // bytes outside the value; nil for flat types
	str   bool                      // T is a string kind: extra is its length
}

func newSizer[T any]() sizer[T] {
	t := reflect.TypeFor[T]()
	s := sizer[T]{flat: int(t.Size())}
	if t.Kind() == reflect.String {
		s.str = true
		return s
	}
	if !holdsPointers(t) {
		return s
	}
	s.extra = func(v reflect.Value) int { return outside(v, 0) }
	return s
}

// of is v's estimated size. Strings and flat types cost a length; only
// other types go through reflect (in walk, so that v does not escape to
// the heap on the fast paths).
func (s sizer[T]) of(v T) int {
	switch {
	case s.str:
		return s.flat + len(*(*string)(unsafe.Pointer(&v)))
	case s.extra == nil:
		return s.flat
	}
	return s.flat + s.walk(v)
}

//go:noinline
func (s sizer[T]) walk(v T) int { return s.extra(reflect.ValueOf(&v).Elem()) }

// holdsPointers reports whether a value of type t can refer to memory
// outside itself.
func holdsPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		return true
	case reflect.Array:
		return t.Len() > 0 && holdsPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if holdsPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// outside is the bytes v refers to beyond its own size, followed to a
// fixed depth (cycles and deep graphs are counted only in part).
func outside(v reflect.Value, depth int) int {
	if depth > 8 {
		return 0
	}
	switch v.Kind() {
	case reflect.String:
		return v.Len()
	case reflect.Slice:
		if v.IsNil() {
			return 0
		}
		n := v.Cap() * int(v.Type().Elem().Size())
		if holdsPointers(v.Type().Elem()) {
			for i := range v.Len() {
				n += outside(v.Index(i), depth+1)
			}
		}
		return n
	case reflect.Array:
		n := 0
		for i := range v.Len() {
			n += outside(v.Index(i), depth+1)
		}
		return n
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			n += outside(v.Field(i), depth+1)
		}
		return n
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 0
		}
		e := v.Elem()
		return int(e.Type().Size()) + outside(e, depth+1)
	case reflect.Map:
		n := 0
		it := v.MapRange()
		for it.Next() {
			k, e := it.Key(), it.Value()
			n += int(k.Type().Size()+e.Type().Size()) + 16 + outside(k, depth+1) + outside(e, depth+1)
		}
		return n
	}
	return 0
}
