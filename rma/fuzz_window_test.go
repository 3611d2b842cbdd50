package rma

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"
)

// This file fuzzes the decoders of rma that read bytes or words another rank
// may have written: record messages (DecodeRecord), every word of a ring
// (header, counters, slot sequence words) and arena handles as Attach takes
// them. FuzzHandleUnmarshal and FuzzRingSlot (fuzz_test.go) cover the
// handle's byte encoding and a committed slot's length and payload.

// watchdog crashes the process, and so fails the fuzz input, if the calls
// that follow do not finish within d: a ring operation that loops for ever on
// corrupt words would otherwise hang the fuzzer without a report. Stop it
// when done.
func watchdog(d time.Duration, what string) *time.Timer {
	return time.AfterFunc(d, func() { panic(fmt.Sprintf("%s did not finish within %v", what, d)) })
}

// FuzzDecodeRecord: DecodeRecord rejects, with ErrCorrupt, exactly the
// messages that are not a whole number of values; every other message
// decodes to values that AppendRecord encodes back to the same bytes, in a
// slice that does not alias the message.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(uint8(0), []byte{})
	f.Add(uint8(1), []byte{1, 2})
	f.Add(uint8(2), []byte{1, 2, 3})
	f.Add(uint8(3), AppendRecord(nil, int64(-1), math.MinInt64, math.MaxInt64))
	f.Add(uint8(8), AppendRecord(nil, float32(1.5), float32(math.Inf(-1)), math.Float32frombits(0x7fa00001)))
	f.Add(uint8(9), AppendRecord(nil, 0.5, math.NaN(), math.Float64frombits(0x7ff0000000000001), math.Copysign(0, -1)))
	f.Add(uint8(9), []byte{1, 2, 3, 4, 5, 6, 7})
	f.Add(uint8(7), bytes.Repeat([]byte{0xff}, 17))
	f.Fuzz(func(t *testing.T, kind uint8, msg []byte) {
		switch kind % 10 {
		case 0:
			checkRecord[int8](t, msg)
		case 1:
			checkRecord[int16](t, msg)
		case 2:
			checkRecord[int32](t, msg)
		case 3:
			checkRecord[int64](t, msg)
		case 4:
			checkRecord[uint8](t, msg)
		case 5:
			checkRecord[uint16](t, msg)
		case 6:
			checkRecord[uint32](t, msg)
		case 7:
			checkRecord[uint64](t, msg)
		case 8:
			checkRecord[float32](t, msg)
		case 9:
			checkRecord[float64](t, msg)
		}
	})
}

func checkRecord[T Number](t *testing.T, msg []byte) {
	t.Helper()
	size := RecordBytes[T](1)
	orig := bytes.Clone(msg)
	out, err := DecodeRecord[T](msg)
	if !bytes.Equal(msg, orig) {
		t.Fatalf("DecodeRecord[%T] wrote to its input", *new(T))
	}
	if len(msg)%size != 0 {
		if !errors.Is(err, ErrCorrupt) || out != nil {
			t.Fatalf("DecodeRecord[%T] of %d bytes = %v, %v; want nil, ErrCorrupt", *new(T), len(msg), out, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("DecodeRecord[%T] of %d bytes: %v", *new(T), len(msg), err)
	}
	if len(out) != len(msg)/size || RecordBytes[T](len(out)) != len(msg) {
		t.Fatalf("DecodeRecord[%T] of %d bytes gave %d values", *new(T), len(msg), len(out))
	}
	// Each value holds exactly the bytes of its place in the message.
	again := AppendRecord([]byte("pre"), out...)
	if string(again[:3]) != "pre" || !bytes.Equal(again[3:], msg) {
		t.Fatalf("DecodeRecord[%T](%x) = %v, which encodes as %x", *new(T), msg, out, again[3:])
	}
	for i := range out {
		var bits uint64
		switch v := any(out[i]).(type) {
		case float32:
			bits = uint64(math.Float32bits(v))
		case float64:
			bits = math.Float64bits(v)
		case int8:
			bits = uint64(uint8(v))
		case int16:
			bits = uint64(uint16(v))
		case int32:
			bits = uint64(uint32(v))
		case int64:
			bits = uint64(v)
		case uint8:
			bits = uint64(v)
		case uint16:
			bits = uint64(v)
		case uint32:
			bits = uint64(v)
		case uint64:
			bits = v
		}
		var word [8]byte
		copy(word[:], msg[i*size:(i+1)*size])
		if want := binary.LittleEndian.Uint64(word[:]); bits != want {
			t.Fatalf("value %d of %x decoded as bits %#x, want %#x", i, msg, bits, want)
		}
	}
	// The values are a copy: the message may be reused at once.
	for i := range msg {
		msg[i] ^= 0xff
	}
	if again := AppendRecord(nil, out...); len(msg) > 0 && !bytes.Equal(again, orig) {
		t.Fatalf("DecodeRecord[%T] result changed with its input", *new(T))
	}
}

// ringWordOverrides writes fuzzer-chosen words into the ring at base: each
// 9 bytes of spec are a word index (mod the ring's words) and a
// little-endian value. It returns how many words it wrote.
func ringWordOverrides(tr *testRing, base, size int, spec []byte) int {
	words := size / 8
	n := 0
	for ; len(spec) >= 9; spec = spec[9:] {
		tr.setWord(base+8*(int(spec[0])%words), binary.LittleEndian.Uint64(spec[1:9]))
		n++
	}
	return n
}

// fuzzWord is an override spec entry for FuzzRingWords seeds: the word at
// byte offset off of the ring.
func fuzzWord(off int, v uint64) []byte {
	return binary.LittleEndian.AppendUint64([]byte{byte(off / 8)}, v)
}

// arenaWord is an override spec entry for FuzzArenaAttach: 2 bytes of word
// index (mod the arena's words), then the little-endian value.
func arenaWord(off int, v uint64) []byte {
	return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint16(nil, uint16(off/8)), v)
}

// FuzzRingWords overwrites any words of a ring (header, tail, head, limit,
// opened, slot sequence and length words) with fuzzer-chosen values, then
// runs a fuzzer-chosen sequence of puts, takes, claims and counter reads
// through the owner's or a peer's view. However corrupt the words:
//
//   - verify, the header decoder Attach relies on, accepts the ring exactly
//     when magic, capacity, message size and generation are as created;
//   - no operation panics, hangs, or touches memory outside the ring;
//   - puts and takes fail only with ErrCorrupt, claims only with
//     ErrInvalidArgument, and a take never returns more than the message
//     size.
//
// With no word overwritten, the ring must behave as the FIFO it models:
// puts succeed exactly while fewer than capacity messages are queued, and
// takes return the queued messages in order, within the claims.
func FuzzRingWords(f *testing.F) {
	const none = ""
	seed := func(capacity, msgSize uint8, start uint64, owner bool, words []byte, ops string) {
		f.Add(capacity, msgSize, start, owner, words, []byte(ops))
	}
	put := func(n int) string { return string([]byte{byte(n<<2 | 0)}) }
	const take, counters = "\x01", "\x03"
	claim := func(n int) string { return string([]byte{byte(n<<2 | 2)}) }
	seed(3, 8, 0, true, nil, claim(5)+put(3)+put(8)+take+take+take+counters)
	seed(0, 0, math.MaxUint64-1, false, nil, put(0)+put(0)+claim(1)+take+take+put(0)+take)
	seed(3, 16, 1<<63-2, false, nil, put(1)+put(2)+put(3)+put(4)+put(5)+claim(3)+take+take+put(6)+take+take)
	seed(1, 32, 0, true, fuzzWord(offTail, 5), put(4)+claim(1)+take)
	seed(1, 32, 0, false, fuzzWord(offHead, 1<<63), claim(2)+take+put(3)+take)
	seed(3, 8, 0, true, fuzzWord(offSlots, 7), put(2)+put(2)+claim(2)+take+take)
	seed(3, 8, 0, false, append(fuzzWord(offLimit, math.MaxUint64), fuzzWord(hdrOpened, 1)...), take+put(1)+take)
	seed(3, 8, 0, false, append(fuzzWord(offSlots+8, 1<<40), fuzzWord(offSlots, 1)...), put(1)+claim(1)+take)
	seed(2, 8, 0, true, fuzzWord(hdrMagic, 0), put(1)+counters)
	seed(2, 8, 0, true, fuzzWord(hdrStart, 99), claim(1)+put(1)+take)
	seed(2, 8, 0, false, fuzzWord(hdrGen, 8), none)
	f.Fuzz(func(t *testing.T, capacity8, msgSize8 uint8, start uint64, owner bool, words, ops []byte) {
		capacity := 1 + int(capacity8%6)
		msgSize := int(msgSize8 % 41)
		const base = 64 // a canary before the ring
		size, err := ringBytes(capacity, msgSize)
		if err != nil {
			t.Fatal(err)
		}
		tr := newTestRing(t, ringShape{capacity: capacity, msgSize: msgSize, base: base, start: start})
		for i := range base {
			tr.win.mem[i] = 0xa5
		}
		corrupt := ringWordOverrides(tr, base, size, words) > 0
		if len(ops) > 64 {
			ops = ops[:64]
		}
		defer watchdog(10*time.Second, "FuzzRingWords").Stop()

		// The header decoder: a fresh peer's view accepts the header
		// exactly when its four checked words are as created.
		fresh := newRing(tr.win, 0, base, capacity, msgSize, owner)
		verr := fresh.verify(7)
		intact := tr.word(base+hdrMagic) == ringMagic && tr.word(base+hdrCapacity) == uint64(capacity) &&
			tr.word(base+hdrMsgSize) == uint64(msgSize) && tr.word(base+hdrGen) == 7
		if (verr == nil) != intact {
			t.Fatalf("verify = %v with header words %#x %d %d %d", verr,
				tr.word(base+hdrMagic), tr.word(base+hdrCapacity), tr.word(base+hdrMsgSize), tr.word(base+hdrGen))
		}
		if verr == nil && fresh.start != tr.word(base+hdrStart) {
			t.Fatalf("verify read start %d, the header holds %d", fresh.start, tr.word(base+hdrStart))
		}

		r := tr.view(owner)
		var hint atomic.Uint64
		hint.Store(r.start)
		// The model, used only while no word was overwritten.
		var queue [][]byte
		opened := false
		var claimed, taken uint64
		for i, op := range ops {
			arg := int(op >> 2)
			switch op & 3 {
			case 0:
				msg := bytes.Repeat([]byte{byte(i)}, arg%(msgSize+1))
				ok, err := r.tryPut(&hint, msg)
				if err != nil && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("op %d: put: %v", i, err)
				}
				if corrupt {
					continue
				}
				if err != nil || ok != (len(queue) < capacity) {
					t.Fatalf("op %d: put with %d of %d queued: %v, %v", i, len(queue), capacity, ok, err)
				}
				if ok {
					queue = append(queue, msg)
				}
			case 1:
				out, st, err := r.tryTake([]byte("dst"))
				if err != nil && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("op %d: take: %v", i, err)
				}
				if st != took && st != empty && st != noMore && st != notOpened {
					t.Fatalf("op %d: take status %d", i, st)
				}
				if len(out) < 3 || string(out[:3]) != "dst" {
					t.Fatalf("op %d: take lost dst's bytes: %q", i, out)
				}
				if st == took && err == nil && len(out)-3 > msgSize {
					t.Fatalf("op %d: took %d bytes from a ring of %d-byte messages", i, len(out)-3, msgSize)
				}
				if corrupt {
					continue
				}
				want := took
				switch {
				case !opened:
					want = notOpened
				case taken >= claimed:
					want = noMore
				case len(queue) == 0:
					want = empty
				}
				if err != nil || st != want {
					t.Fatalf("op %d: take status %d (%v), want %d (queued %d, taken %d of %d claimed)",
						i, st, err, want, len(queue), taken, claimed)
				}
				if st == took {
					if !bytes.Equal(out[3:], queue[0]) {
						t.Fatalf("op %d: took %x, want %x", i, out[3:], queue[0])
					}
					queue = queue[1:]
					taken++
				} else if string(out) != "dst" {
					t.Fatalf("op %d: take status %d appended %q", i, st, out[3:])
				}
			case 2:
				if err := r.claim(int64(arg)); err != nil && (corrupt && !errors.Is(err, ErrInvalidArgument) || !corrupt) {
					t.Fatalf("op %d: claim(%d): %v", i, arg, err)
				}
				opened = true
				claimed += uint64(arg)
			case 3:
				tail, head, limit, err := r.counters()
				if err != nil {
					t.Fatalf("op %d: counters: %v", i, err)
				}
				if !corrupt && (tail-r.start != taken+uint64(len(queue)) || head-r.start != taken || limit-r.start != claimed) {
					t.Fatalf("op %d: counters tail %d head %d limit %d from start %d; model put %d taken %d claimed %d",
						i, tail, head, limit, r.start, taken+uint64(len(queue)), taken, claimed)
				}
			}
		}
		for i, b := range tr.win.mem[:base] {
			if b != 0xa5 {
				t.Fatalf("byte %d before the ring was overwritten: %#x", i, b)
			}
		}
	})
}

// fuzzArena makes an arena in a memWindow of size bytes with three
// channels: (4 slots, 16 bytes), (1 slot, 0 bytes), and (2 slots, 40 bytes),
// the second already closed (its span freed). It returns the arena and the
// handles.
func fuzzArena(tb testing.TB, size int) (*Arena, []Handle) {
	tb.Helper()
	a := &Arena{win: newMemWindow(size), rank: 0, size: size, free: []span{{0, size}}}
	var hs []Handle
	var chans []*Channel
	for _, shape := range [][2]int{{4, 16}, {1, 0}, {2, 40}} {
		c, err := a.NewChannel(shape[0], shape[1])
		if err != nil {
			tb.Fatal(err)
		}
		h, ok := c.Handle()
		if !ok {
			tb.Fatal("arena channel without a handle")
		}
		hs = append(hs, h)
		chans = append(chans, c)
	}
	if err := chans[1].Close(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return a, hs
}

// FuzzArenaAttach decodes fuzzer-chosen handle bytes and attaches to them in
// an arena whose memory the fuzzer may also have overwritten, as a rank does
// with a handle it received. A bad handle fails with ErrBadHandle and
// changes nothing. A handle Attach accepts names a ring that lies inside the
// arena, with a header of exactly that shape and generation; using the
// channel (put, take, claim, stats, close) fails only with the documented
// sentinels and never writes outside that ring.
func FuzzArenaAttach(f *testing.F) {
	const size = 4096
	_, hs := fuzzArena(f, size)
	for i, h := range hs {
		b, err := h.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte(nil), []byte("message"))
		// The same handle with its ring's length word, tail or limit
		// corrupted.
		f.Add(b, arenaWord(h.Offset+offSlots+slotLen, 1<<20), []byte("x"))
		f.Add(b, append(arenaWord(h.Offset+offTail, 5), arenaWord(h.Offset+offLimit, 0)...), []byte{})
		// Neighbouring offsets, generations and shapes.
		for _, g := range []Handle{
			{Rank: h.Rank, Offset: h.Offset + arenaAlign, Capacity: h.Capacity, MessageSize: h.MessageSize, Generation: h.Generation},
			{Rank: h.Rank, Offset: h.Offset, Capacity: h.Capacity, MessageSize: h.MessageSize, Generation: h.Generation + 1},
			{Rank: h.Rank, Offset: h.Offset, Capacity: h.Capacity + i, MessageSize: h.MessageSize + 8, Generation: h.Generation},
			{Rank: 1, Offset: h.Offset, Capacity: h.Capacity, MessageSize: h.MessageSize, Generation: h.Generation},
			{Rank: 0, Offset: size - arenaAlign, Capacity: 1, MessageSize: 0, Generation: h.Generation},
		} {
			b, err := g.MarshalBinary()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, []byte(nil), []byte("m"))
		}
	}
	// A forged ring: a header written where no channel was made.
	forged := Handle{Offset: 2048, Capacity: 1, MessageSize: 8, Generation: 9}
	fb, _ := forged.MarshalBinary()
	f.Add(fb, bytes.Join([][]byte{
		arenaWord(2048+hdrMagic, ringMagic), arenaWord(2048+hdrCapacity, 1), arenaWord(2048+hdrMsgSize, 8),
		arenaWord(2048+hdrGen, 9), arenaWord(2048+hdrStart, 3), arenaWord(2048+offSlots, 6),
	}, nil), []byte("forged"))
	f.Add([]byte{}, []byte(nil), []byte(nil))

	f.Fuzz(func(t *testing.T, hb, words, msg []byte) {
		a, _ := fuzzArena(t, size)
		mem := a.win.Local()
		for ; len(words) >= 10; words = words[10:] {
			StoreLocal(mem, 8*(int(binary.LittleEndian.Uint16(words))%(size/8)), binary.LittleEndian.Uint64(words[2:10]))
		}
		before := bytes.Clone(mem)
		var h Handle
		if err := h.UnmarshalBinary(hb); err != nil {
			if !errors.Is(err, ErrBadHandle) {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			return
		}
		defer watchdog(10*time.Second, "FuzzArenaAttach").Stop()
		c, err := a.Attach(h)
		if err != nil {
			if !errors.Is(err, ErrBadHandle) {
				t.Fatalf("Attach(%+v): %v does not wrap ErrBadHandle", h, err)
			}
			if !bytes.Equal(mem, before) {
				t.Fatalf("a refused Attach(%+v) changed the arena", h)
			}
			return
		}
		n, err := ringBytes(h.Capacity, h.MessageSize)
		if err != nil || h.Rank != 0 || h.Offset%arenaAlign != 0 || h.Offset < 0 || h.Offset > size-n {
			t.Fatalf("Attach accepted %+v, which does not lie in the %d-byte arena (%d bytes, %v)", h, size, n, err)
		}
		for _, w := range []struct {
			off  int
			want uint64
		}{{hdrMagic, ringMagic}, {hdrCapacity, uint64(h.Capacity)}, {hdrMsgSize, uint64(h.MessageSize)}, {hdrGen, h.Generation}} {
			if got := LoadLocal(mem, h.Offset+w.off); got != w.want {
				t.Fatalf("Attach accepted %+v over a header word %d of %#x, want %#x", h, w.off, got, w.want)
			}
		}
		if got, ok := c.Handle(); !ok || got != h {
			t.Fatalf("attached channel's handle %+v, %v; want %+v", got, ok, h)
		}
		if len(msg) > h.MessageSize {
			msg = msg[:h.MessageSize]
		}
		if _, err := c.TryPut(msg); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("TryPut: %v", err)
		}
		if err := c.Claim(1); err != nil && !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("Claim: %v", err)
		}
		for range 2 {
			out, ok, err := c.TryTakeAppend(nil)
			if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNoMore) {
				t.Fatalf("TryTakeAppend: %v", err)
			}
			if ok && len(out) > h.MessageSize {
				t.Fatalf("took %d bytes from a channel of %d-byte messages", len(out), h.MessageSize)
			}
		}
		if _, err := c.Stats(); err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if err := c.Close(context.Background()); err != nil && !errors.Is(err, ErrUntaken) {
			t.Fatalf("Close: %v", err)
		}
		if !bytes.Equal(mem[:h.Offset], before[:h.Offset]) || !bytes.Equal(mem[h.Offset+n:], before[h.Offset+n:]) {
			t.Fatalf("the channel of %+v wrote outside its ring [%d, %d)", h, h.Offset, h.Offset+n)
		}
	})
}
