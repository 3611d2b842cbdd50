package mapreduce

import (
	"strings"
	"unsafe"
)

// BytesKey is b as a string key for emit, without copying it: emit copies
// every string key it keeps, so b may be reused as soon as emit returns.
// It saves a mapper that finds its keys in a buffer (the words of a line)
// an allocation per key. Use it for emit's key only: the string changes
// when b does.
func BytesKey(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// keyArenaChunk is the size of the chunks string keys are copied into.
const keyArenaChunk = 32 << 10

// keyArena copies string keys into shared chunks, so keeping a key costs
// a copy and not an allocation. A chunk lives as long as any key in it.
type keyArena struct{ buf []byte }

func (a *keyArena) clone(s string) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > keyArenaChunk/8 {
		return strings.Clone(s)
	}
	if cap(a.buf)-len(a.buf) < len(s) {
		a.buf = make([]byte, 0, keyArenaChunk)
	}
	start := len(a.buf)
	a.buf = append(a.buf, s...)
	return unsafe.String(&a.buf[start], len(s))
}

// keep is k with its string, if K is a string type, copied into a: what
// emit keeps of a key that may share the mapper's buffer (BytesKey).
func keep[K any](a *keyArena, isString bool, k K) K {
	if isString {
		p := (*string)(unsafe.Pointer(&k))
		*p = a.clone(*p)
	}
	return k
}
