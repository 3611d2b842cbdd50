package mailbox

import (
	"math/bits"
	"sync"
)

// bufferPool recycles the buffers large envelopes are encoded and assembled
// in, by power-of-two size class: allocating (and zeroing) a new one per
// message was most of a receiver's time at a few hundred MB/s, and a third
// of a sender's. A buffer goes back
// once its envelope has been decoded (the codec copies what it keeps) or
// reported; its bytes are all overwritten by the next envelope's chunks
// before anyone reads them, since an envelope is delivered only when its
// chunks covered it from offset 0 to the end.
type bufferPool struct {
	classes [40]sync.Pool // class c holds buffers of capacity 1<<c
}

const minPooledClass = 12 // 4 KiB: smaller envelopes travel inline anyway

func sizeClass(n int) int {
	if n <= 1<<minPooledClass {
		return minPooledClass
	}
	return bits.Len(uint(n - 1))
}

// get returns a buffer of length n, not zeroed.
func (p *bufferPool) get(n int) []byte {
	c := sizeClass(n)
	if c >= len(p.classes) {
		return make([]byte, n)
	}
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, 1<<c)
}

// put gives back a buffer get returned; the caller does not use it again.
func (p *bufferPool) put(b []byte) {
	c := bits.Len(uint(cap(b))) - 1
	if c < minPooledClass || c >= len(p.classes) || cap(b) != 1<<c {
		return
	}
	b = b[:0]
	p.classes[c].Put(&b)
}

// Buffer returns an empty buffer with room for n bytes from the rank's pool
// of large-envelope buffers. A sender encodes a large envelope into it and
// hands it over with Outlet.Give, which puts it back once the envelope is
// staged; a buffer never handed over is simply dropped.
func (r *Rank) Buffer(n int) []byte { return r.bufs.get(n)[:0] }
