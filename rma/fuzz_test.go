package rma

import (
	"bytes"
	"errors"
	"math"
	"sync/atomic"
	"testing"
)

// FuzzHandleUnmarshal: decoding arbitrary bytes never panics, and a handle
// that decodes re-encodes to the same bytes.
func FuzzHandleUnmarshal(f *testing.F) {
	for _, h := range []Handle{
		{Capacity: 1},
		{Rank: 3, Offset: 640, Capacity: 16, MessageSize: 64, Generation: 42},
		{Rank: 1 << 62, Offset: 1 << 62, Capacity: 1 << 62, MessageSize: MaxMessageSize, Generation: math.MaxUint64},
	} {
		b, err := h.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{handleVersion})
	f.Add(bytes.Repeat([]byte{0xff}, HandleSize))
	f.Add(append([]byte{handleVersion}, make([]byte, HandleSize-1)...))
	f.Add(append([]byte{2}, make([]byte, HandleSize-1)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Handle
		if err := h.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadHandle) {
				t.Fatalf("decode error %v does not wrap ErrBadHandle", err)
			}
			if h != (Handle{}) {
				t.Fatalf("a rejected decode changed the handle to %+v", h)
			}
			return
		}
		if h.Rank < 0 || h.Offset < 0 || h.Capacity < 1 || h.MessageSize < 0 || h.MessageSize > MaxMessageSize {
			t.Fatalf("decoded an out-of-range handle %+v", h)
		}
		again, err := h.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded %+v from %x, but it does not encode: %v", h, b, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decoded %+v from %x, re-encoded as %x", h, b, again)
		}
	})
}

// FuzzRingSlot writes fuzzer-chosen bytes over a committed slot's length and
// payload words. The take must not panic; it either returns a message of at
// most the message size (exactly the bytes in the slot) or an error wrapping
// ErrCorrupt, and the ring keeps working afterwards.
func FuzzRingSlot(f *testing.F) {
	f.Add(uint8(16), uint8(3), false, uint64(5), []byte("hello"))
	f.Add(uint8(16), uint8(1), true, uint64(17), []byte("0123456789abcdef"))
	f.Add(uint8(0), uint8(1), true, uint64(0), []byte{})
	f.Add(uint8(0), uint8(2), false, uint64(1), []byte{1})
	f.Add(uint8(7), uint8(4), true, uint64(8), bytes.Repeat([]byte{0xaa}, 8))
	f.Add(uint8(40), uint8(5), false, uint64(math.MaxUint64), bytes.Repeat([]byte{0xff}, 64))
	f.Add(uint8(9), uint8(3), true, uint64(1<<63), []byte("x"))
	f.Fuzz(func(t *testing.T, msgSize8, capacity8 uint8, owner bool, length uint64, payload []byte) {
		msgSize := int(msgSize8 % 65)
		capacity := 1 + int(capacity8%8)
		tr := newTestRing(t, ringShape{capacity: capacity, msgSize: msgSize, base: 64, start: uint64(capacity8) << 56, claims: 2, open: true})
		r := tr.view(owner)
		var hint atomic.Uint64
		hint.Store(r.start)
		if ok, err := r.tryPut(&hint, nil); err != nil || !ok {
			t.Fatalf("first put: %v, %v", ok, err)
		}
		slot := tr.slot(r.start)
		tr.setWord(slot+slotLen, length)
		room := slotStride(msgSize) - slotData
		if len(payload) > room {
			payload = payload[:room]
		}
		copy(tr.win.mem[slot+slotData:], payload)
		want := make([]byte, room)
		copy(want, tr.win.mem[slot+slotData:slot+slotData+room])

		out, st, err := r.tryTake([]byte("dst"))
		if st != took {
			t.Fatalf("take status %d, want took (err %v)", st, err)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("take error %v does not wrap ErrCorrupt", err)
			}
			if length <= uint64(msgSize) {
				t.Fatalf("length %d within message size %d reported corrupt: %v", length, msgSize, err)
			}
			if string(out) != "dst" {
				t.Fatalf("corrupt take changed dst to %q", out)
			}
		} else {
			if length > uint64(msgSize) {
				t.Fatalf("length %d over message size %d accepted", length, msgSize)
			}
			if len(out) != 3+int(length) || string(out[:3]) != "dst" {
				t.Fatalf("took %d bytes %q for length %d", len(out), out, length)
			}
			if !bytes.Equal(out[3:], want[:length]) {
				t.Fatalf("took %x, slot holds %x", out[3:], want[:length])
			}
		}
		if got := tr.word(slot + slotSeq); got != freeSeq(r.start+uint64(capacity)) {
			t.Fatalf("slot seq %d after take, want %d (released)", got, freeSeq(r.start+uint64(capacity)))
		}

		// The ring goes on: the next message arrives whole.
		next := make([]byte, msgSize)
		for i := range next {
			next[i] = byte(i + 1)
		}
		if ok, err := r.tryPut(&hint, next); err != nil || !ok {
			t.Fatalf("put after take: %v, %v", ok, err)
		}
		out, st, err = r.tryTake(nil)
		if err != nil || st != took || !bytes.Equal(out, next) {
			t.Fatalf("take after corrupt slot: %x, %d, %v", out, st, err)
		}
		if _, st, err := r.tryTake(nil); err != nil || st != noMore {
			t.Fatalf("third take: %d, %v; want noMore", st, err)
		}
	})
}
