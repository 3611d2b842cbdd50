package mailbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// encodeFrame builds a frame of entries with frameWriter, as outlets do,
// with room for exactly these entries.
func encodeFrame(t testing.TB, entries []Entry) []byte {
	t.Helper()
	limit := frameHeader
	for _, e := range entries {
		limit += entryHeader + len(e.Body)
	}
	var w frameWriter
	w.reset(limit)
	for i, e := range entries {
		if !w.fits(len(e.Body)) {
			t.Fatalf("entry %d of %d (%d bytes) does not fit a %d-byte frame", i, len(entries), len(e.Body), limit)
		}
		w.add(e.Incarnation, e.Body)
	}
	if w.count != len(entries) || len(w.bytes()) != limit {
		t.Fatalf("writer holds %d entries in %d bytes, want %d in %d", w.count, len(w.bytes()), len(entries), limit)
	}
	return bytes.Clone(w.bytes())
}

func sameEntries(t testing.TB, got, want []Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Incarnation != want[i].Incarnation || !bytes.Equal(got[i].Body, want[i].Body) {
			t.Fatalf("entry %d is {%d %q}, want {%d %q}", i, got[i].Incarnation, got[i].Body, want[i].Incarnation, want[i].Body)
		}
	}
}

func TestFrameRoundTrip(t *testing.T) {
	many := make([]Entry, 100)
	for i := range many {
		many[i] = Entry{Incarnation: uint32(i * 7919), Body: bytes.Repeat([]byte{byte(i)}, i%13)}
	}
	cases := map[string][]Entry{
		"one":            {{Incarnation: 3, Body: []byte("hello")}},
		"one empty body": {{Incarnation: 0, Body: nil}},
		"all empty":      {{Incarnation: 1}, {Incarnation: 2}, {Incarnation: 3}},
		"empty between":  {{Incarnation: 1, Body: []byte("a")}, {Incarnation: 2}, {Incarnation: 3, Body: []byte("ccc")}},
		"max incarnation": {
			{Incarnation: 1<<32 - 1, Body: []byte{0xff, 0, 0xA7, 1}},
		},
		"many": many,
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			frame := encodeFrame(t, entries)
			if frame[0] != frameMagic || frame[1] != frameVersion || frameCount(frame) != len(entries) {
				t.Fatalf("frame header % x", frame[:frameHeader])
			}
			got, err := ParseFrame(frame, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameEntries(t, got, entries)

			// Parsing appends to dst and leaves what was there.
			prefix := []Entry{{Incarnation: 42, Body: []byte("keep")}}
			got, err = ParseFrame(frame, prefix)
			if err != nil {
				t.Fatal(err)
			}
			sameEntries(t, got, append([]Entry{{Incarnation: 42, Body: []byte("keep")}}, entries...))
		})
	}
}

// TestFrameBodiesAliasAndAreCapped: bodies alias the frame (no copy), and
// each body's capacity ends at its own end, so appending to one body never
// overwrites the entry after it.
func TestFrameBodiesAliasAndAreCapped(t *testing.T) {
	frame := encodeFrame(t, []Entry{{Incarnation: 1, Body: []byte("ab")}, {Incarnation: 2, Body: []byte("cd")}})
	got, err := ParseFrame(frame, nil)
	if err != nil {
		t.Fatal(err)
	}
	if &got[0].Body[0] != &frame[frameHeader+entryHeader] {
		t.Fatal("the first body does not alias the frame")
	}
	if cap(got[0].Body) != 2 {
		t.Fatalf("first body has capacity %d, want 2", cap(got[0].Body))
	}
	_ = append(got[0].Body, 'X', 'X', 'X', 'X', 'X', 'X', 'X', 'X', 'X', 'X')
	if again, err := ParseFrame(frame, nil); err != nil || string(again[1].Body) != "cd" || again[1].Incarnation != 2 {
		t.Fatalf("appending to a body changed the frame: %v %+v", err, again)
	}
}

// TestFrameMaxCount: a frame holds at most 65535 entries, because its count
// is 16 bits; fits refuses the 65536th however much room is left.
func TestFrameMaxCount(t *testing.T) {
	var w frameWriter
	w.reset(1 << 30)
	for i := range maxFrameCount {
		if !w.fits(0) {
			t.Fatalf("entry %d refused; the limit is %d", i, maxFrameCount)
		}
		w.add(uint32(i), nil)
	}
	if w.fits(0) {
		t.Fatal("a 65536th entry fits: the 16-bit count would wrap to 0")
	}
	frame := w.bytes()
	if frameCount(frame) != maxFrameCount || len(frame) != frameHeader+maxFrameCount*entryHeader {
		t.Fatalf("count %d, %d bytes", frameCount(frame), len(frame))
	}
	got, err := ParseFrame(frame, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != maxFrameCount {
		t.Fatalf("%d entries, want %d", len(got), maxFrameCount)
	}
	for i, e := range got {
		if e.Incarnation != uint32(i) || len(e.Body) != 0 {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}

	// One entry more than the count says is trailing bytes, not entry 65536.
	over := binary.LittleEndian.AppendUint32(bytes.Clone(frame), 0)
	over = binary.LittleEndian.AppendUint32(over, 0)
	if got, err := ParseFrame(over, nil); !errors.Is(err, ErrBadFrame) || len(got) != 0 {
		t.Fatalf("65536 entries under count 65535: %d entries, %v", len(got), err)
	}
}

// TestFrameExactSlotFit: a frame may fill its slot to the last byte, and not
// one byte more.
func TestFrameExactSlotFit(t *testing.T) {
	const slot = 512
	var w frameWriter

	// One entry filling the slot: the largest envelope Send accepts.
	w.reset(slot)
	if !w.fits(slot-FrameOverhead) || w.fits(slot-FrameOverhead+1) {
		t.Fatalf("fits(%d)=%v fits(%d)=%v in a %d-byte slot", slot-FrameOverhead, w.fits(slot-FrameOverhead),
			slot-FrameOverhead+1, w.fits(slot-FrameOverhead+1), slot)
	}
	body := bytes.Repeat([]byte{0x5a}, slot-FrameOverhead)
	w.add(9, body)
	if len(w.bytes()) != slot {
		t.Fatalf("frame of %d bytes, want %d", len(w.bytes()), slot)
	}
	if w.fits(0) {
		t.Fatal("an empty entry fits a full frame")
	}
	got, err := ParseFrame(w.bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, got, []Entry{{Incarnation: 9, Body: body}})

	// Several entries, the last one taking exactly the bytes that are left.
	w.reset(slot)
	var want []Entry
	for i := range 5 {
		b := bytes.Repeat([]byte{byte(i)}, 40)
		w.add(uint32(i), b)
		want = append(want, Entry{Incarnation: uint32(i), Body: b})
	}
	left := slot - len(w.bytes()) - entryHeader
	if !w.fits(left) || w.fits(left+1) {
		t.Fatalf("with %d bytes used: fits(%d)=%v fits(%d)=%v", len(w.bytes()), left, w.fits(left), left+1, w.fits(left+1))
	}
	last := bytes.Repeat([]byte{0xee}, left)
	w.add(77, last)
	want = append(want, Entry{Incarnation: 77, Body: last})
	if len(w.bytes()) != slot {
		t.Fatalf("frame of %d bytes, want %d", len(w.bytes()), slot)
	}
	got, err = ParseFrame(w.bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, got, want)

	// reset reuses the buffer and starts an empty frame.
	w.reset(slot)
	if w.count != 0 || len(w.bytes()) != frameHeader || frameCount(w.bytes()) != 0 {
		t.Fatalf("after reset: count %d, % x", w.count, w.bytes())
	}
}

// rawFrame builds frame bytes by hand: a header with the given count, then
// each entry as (length, incarnation, body) with the length as given.
func rawFrame(magic, version byte, count uint16, entries ...rawEntry) []byte {
	b := []byte{magic, version, 0, 0}
	binary.LittleEndian.PutUint16(b[2:], count)
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint32(b, e.length)
		b = binary.LittleEndian.AppendUint32(b, e.inc)
		b = append(b, e.body...)
	}
	return b
}

type rawEntry struct {
	length, inc uint32
	body        []byte
}

func rawOK(body string) rawEntry {
	return rawEntry{length: uint32(len(body)), inc: 1, body: []byte(body)}
}

// TestParseFrameMalformed: every malformed frame gives ErrBadFrame and no
// entries, even when the first entries were well formed.
func TestParseFrameMalformed(t *testing.T) {
	good := rawFrame(frameMagic, frameVersion, 2, rawOK("ab"), rawOK("cd"))
	if _, err := ParseFrame(good, nil); err != nil {
		t.Fatalf("the well-formed base case fails: %v", err)
	}
	cases := map[string][]byte{
		"nil":                    nil,
		"empty":                  {},
		"magic only":             {frameMagic},
		"header only":            {frameMagic, frameVersion, 1, 0},
		"header and half entry":  {frameMagic, frameVersion, 1, 0, 0, 0, 0, 0},
		"one byte short of min":  good[:minFrameLength-1],
		"second header cut":      append(rawFrame(frameMagic, frameVersion, 2, rawOK("ab")), 0, 0, 0),
		"second header missing":  rawFrame(frameMagic, frameVersion, 2, rawOK("ab")),
		"count above entries":    rawFrame(frameMagic, frameVersion, 3, rawOK("ab"), rawOK("cd")),
		"count 65535, 1 entry":   rawFrame(frameMagic, frameVersion, 0xffff, rawOK("ab")),
		"length one past end":    rawFrame(frameMagic, frameVersion, 1, rawEntry{length: 3, body: []byte("ab")}),
		"length 2^32-1":          rawFrame(frameMagic, frameVersion, 1, rawEntry{length: 1<<32 - 1, body: []byte("abcd")}),
		"length 2^31":            rawFrame(frameMagic, frameVersion, 1, rawEntry{length: 1 << 31, body: []byte("abcd")}),
		"second length too long": rawFrame(frameMagic, frameVersion, 2, rawOK("ab"), rawEntry{length: 5, body: []byte("cd")}),
		"body cut":               good[:len(good)-1],
		"trailing byte":          append(bytes.Clone(good), 0),
		"trailing entry":         rawFrame(frameMagic, frameVersion, 1, rawOK("ab"), rawOK("cd")),
		"trailing header bytes":  append(bytes.Clone(good), 0, 0, 0, 0, 0, 0, 0, 0),
		"zero count":             rawFrame(frameMagic, frameVersion, 0, rawOK("ab")),
		"zero count, no entries": append(rawFrame(frameMagic, frameVersion, 0), make([]byte, entryHeader)...),
		"bad magic":              rawFrame(frameMagic^1, frameVersion, 2, rawOK("ab"), rawOK("cd")),
		"zero magic":             rawFrame(0, frameVersion, 2, rawOK("ab"), rawOK("cd")),
		"version 0":              rawFrame(frameMagic, 0, 2, rawOK("ab"), rawOK("cd")),
		"version 2":              rawFrame(frameMagic, 2, 2, rawOK("ab"), rawOK("cd")),
		"all zero":               make([]byte, 64),
		"all 0xff":               bytes.Repeat([]byte{0xff}, 64),
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseFrame(frame, nil)
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("error %v, want ErrBadFrame", err)
			}
			if len(got) != 0 {
				t.Fatalf("%d entries delivered from a malformed frame", len(got))
			}
			prefix := []Entry{{Incarnation: 7, Body: []byte("x")}, {Incarnation: 8}}
			got, err = ParseFrame(frame, prefix)
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("error %v, want ErrBadFrame", err)
			}
			if len(got) != len(prefix) || got[0].Incarnation != 7 || got[1].Incarnation != 8 {
				t.Fatalf("dst %+v after a malformed frame, want the 2 entries it had", got)
			}
		})
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add(rawFrame(frameMagic, frameVersion, 1, rawOK("hello")))
	f.Add(rawFrame(frameMagic, frameVersion, 1, rawOK("")))
	f.Add(rawFrame(frameMagic, frameVersion, 3, rawOK("a"), rawOK(""), rawOK("ccc")))
	f.Add(rawFrame(frameMagic, frameVersion, 2, rawOK("ab")))
	f.Add(rawFrame(frameMagic, frameVersion, 0))
	f.Add(rawFrame(frameMagic, frameVersion, 1, rawEntry{length: 1<<32 - 1, body: []byte("abcd")}))
	f.Add(append(rawFrame(frameMagic, frameVersion, 1, rawOK("ab")), 0))
	f.Add([]byte{})
	f.Add([]byte{frameMagic, frameVersion, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, frame []byte) {
		orig := bytes.Clone(frame)
		prefix := []Entry{{Incarnation: 5, Body: []byte("p")}}
		got, err := ParseFrame(frame, prefix)
		if !bytes.Equal(frame, orig) {
			t.Fatal("ParseFrame wrote to the frame")
		}
		if len(got) < 1 || got[0].Incarnation != 5 || string(got[0].Body) != "p" {
			t.Fatalf("dst's own entries changed: %+v", got)
		}
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("error %v does not wrap ErrBadFrame", err)
			}
			if len(got) != 1 {
				t.Fatalf("%d entries appended from a malformed frame (%v)", len(got)-1, err)
			}
			return
		}
		entries := got[1:]
		if len(entries) == 0 || len(entries) > maxFrameCount {
			t.Fatalf("a frame of %d entries parsed", len(entries))
		}
		// Re-encoding the entries gives back the exact bytes.
		var w frameWriter
		w.reset(len(frame))
		for i, e := range entries {
			if !w.fits(len(e.Body)) {
				t.Fatalf("entry %d does not fit the frame it came from", i)
			}
			w.add(e.Incarnation, e.Body)
		}
		if !bytes.Equal(w.bytes(), frame) {
			t.Fatalf("re-encoded frame differs:\n got % x\nwant % x", w.bytes(), frame)
		}
		if frameCount(frame) != len(entries) {
			t.Fatalf("frameCount %d, %d entries", frameCount(frame), len(entries))
		}
	})
}
