package actor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"testing"
)

// errPanicked marks a parse that panicked.
var errPanicked = errors.New("parseEnvelope panicked")

// parseSafely is parseEnvelope with a panic turned into an error, so that a
// crashing input fails its own test case and not the whole test binary.
func parseSafely(b []byte, e *envelope) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanicked, p)
		}
	}()
	return parseEnvelope(b, e)
}

// sameEnvelope compares two envelopes field by field; a nil and an empty
// header or payload are the same on the wire.
func sameEnvelope(a, b *envelope) error {
	switch {
	case a.kind != b.kind:
		return fmt.Errorf("kind %d, want %d", a.kind, b.kind)
	case a.target != b.target:
		return fmt.Errorf("target %q, want %q", a.target, b.target)
	case a.hasSender != b.hasSender:
		return fmt.Errorf("hasSender %v, want %v", a.hasSender, b.hasSender)
	case a.hasSender && (a.senderRank != b.senderRank || a.senderID != b.senderID || a.requestID != b.requestID):
		return fmt.Errorf("sender (%d, %q, %d), want (%d, %q, %d)",
			a.senderRank, a.senderID, a.requestID, b.senderRank, b.senderID, b.requestID)
	case !maps.Equal(a.header, b.header):
		return fmt.Errorf("header %v, want %v", a.header, b.header)
	case a.typeName != b.typeName:
		return fmt.Errorf("type name %q, want %q", a.typeName, b.typeName)
	case !bytes.Equal(a.payload, b.payload):
		return fmt.Errorf("payload %x, want %x", a.payload, b.payload)
	}
	return nil
}

func bigHeader(n int) map[string]string {
	h := make(map[string]string, n)
	for i := range n {
		h[fmt.Sprintf("k%d", i)] = strings.Repeat("v", i%5)
	}
	return h
}

// TestEnvelopeRoundTrip: every combination of kind and optional parts, with
// values at the varint boundaries, parses back to what was appended.
func TestEnvelopeRoundTrip(t *testing.T) {
	targets := []string{"", "parent/@a.3", "named", strings.Repeat("t", 200)}
	senders := []struct {
		rank int
		id   string
		req  uint32
	}{
		{0, "", 0},
		{1, "sender/@1.2", 1},
		{127, "x", 127},
		{128, "y", 128},
		{1<<14 - 1, "z", 1<<14 - 1},
		{1 << 14, strings.Repeat("s", 300), 1 << 14},
		{1<<31 - 1, "max", math.MaxUint32},
		{5, "future$1", 1 << 31},
	}
	headers := []map[string]string{
		nil,
		{},
		{"k": "v"},
		{"": ""},
		{"a": "1", "b": "", "": "3", "trace-id": strings.Repeat("x", 130)},
		bigHeader(maxHeaderPairs),
	}
	payloads := [][]byte{nil, {}, {0}, []byte("payload"), bytes.Repeat([]byte{0xA7}, 1000)}
	types := []string{"t", "google.protobuf.Int64Value", strings.Repeat("n", 128)}

	n := 0
	for _, kind := range []byte{kindUser, kindSystem} {
		for mask := range 8 {
			for i := range max(len(targets), len(senders), len(headers), len(payloads), len(types)) {
				e := envelope{kind: kind, typeName: types[i%len(types)], payload: payloads[i%len(payloads)]}
				var wantFlags byte
				if mask&flagTarget != 0 {
					e.target = targets[1+i%(len(targets)-1)]
					wantFlags |= flagTarget
				}
				if mask&flagSender != 0 {
					s := senders[i%len(senders)]
					e.hasSender, e.senderRank, e.senderID, e.requestID = true, s.rank, s.id, s.req
					wantFlags |= flagSender
				}
				if mask&flagHeader != 0 {
					e.header = headers[2+i%(len(headers)-2)]
					wantFlags |= flagHeader
				} else if i%2 == 1 {
					e.header = map[string]string{} // empty: no header on the wire
				}
				name := fmt.Sprintf("kind %d flags %03b #%d", kind, mask, i)

				prefix := []byte("prefix")
				b := appendEnvelope(bytes.Clone(prefix), &e)
				if !bytes.HasPrefix(b, prefix) {
					t.Fatalf("%s: appendEnvelope overwrote dst", name)
				}
				body := b[len(prefix):]
				if body[0] != kind || body[1] != wantFlags {
					t.Fatalf("%s: encoded kind %d flags %03b, want %d %03b", name, body[0], body[1], kind, wantFlags)
				}
				var got envelope
				if err := parseEnvelope(body, &got); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := sameEnvelope(&got, &e); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(e.header) == 0 && got.header != nil {
					t.Fatalf("%s: header %v from an envelope without one", name, got.header)
				}
				// Re-encoding the parsed envelope gives the same bytes (the
				// header's order aside).
				if len(e.header) <= 1 {
					if again := appendEnvelope(nil, &got); !bytes.Equal(again, body) {
						t.Fatalf("%s: re-encoded\n% x\nwant\n% x", name, again, body)
					}
				}
				n++
			}
		}
	}
	if n < 64 {
		t.Fatalf("only %d envelopes tried", n)
	}
}

// TestEnvelopeAliasing: the payload aliases the bytes; every string is a
// copy, so a reused receive buffer never changes a parsed envelope.
func TestEnvelopeAliasing(t *testing.T) {
	e := envelope{kind: kindUser, target: "tgt", hasSender: true, senderRank: 3, senderID: "sid", requestID: 9,
		header: map[string]string{"key": "val"}, typeName: "name", payload: []byte("pay")}
	b := appendEnvelope(nil, &e)
	var got envelope
	if err := parseEnvelope(b, &got); err != nil {
		t.Fatal(err)
	}
	if &got.payload[0] != &b[len(b)-3] {
		t.Fatal("the payload does not alias the envelope bytes")
	}
	for i := range b[:len(b)-3] {
		b[i] = '#'
	}
	want := e
	want.payload = []byte("pay")
	if err := sameEnvelope(&got, &want); err != nil {
		t.Fatalf("overwriting the bytes changed the parsed envelope: %v", err)
	}

	// parseEnvelopeWith hands the type name to intern; the other strings
	// are copies whatever intern does.
	b = appendEnvelope(nil, &e)
	var interned []byte
	if err := parseEnvelopeWith(b, &got, func(name []byte) string {
		interned = name
		return "interned"
	}); err != nil {
		t.Fatal(err)
	}
	if string(interned) != "name" || got.typeName != "interned" {
		t.Fatalf("intern saw %q, type name %q", interned, got.typeName)
	}
	if cap(interned) != len(interned) {
		t.Fatalf("the name handed to intern has capacity %d past its %d bytes: appending to it would overwrite the payload", cap(interned), len(interned))
	}
}

// TestParseEnvelopeReuse: parsing into an envelope that held another one
// leaves nothing of the old one behind.
func TestParseEnvelopeReuse(t *testing.T) {
	full := envelope{kind: kindSystem, target: "t", hasSender: true, senderRank: 1, senderID: "s", requestID: 2,
		header: map[string]string{"k": "v"}, typeName: "full", payload: []byte("p")}
	bare := envelope{kind: kindUser, typeName: "bare"}
	var got envelope
	if err := parseEnvelope(appendEnvelope(nil, &full), &got); err != nil {
		t.Fatal(err)
	}
	if err := parseEnvelope(appendEnvelope(nil, &bare), &got); err != nil {
		t.Fatal(err)
	}
	if err := sameEnvelope(&got, &bare); err != nil || got.header != nil || got.senderID != "" || got.senderRank != 0 {
		t.Fatalf("reused envelope %+v (%v)", got, err)
	}
}

// envBytes builds raw envelope bytes: kind, flags, then the parts, each a
// uvarint (uint64) or a length-prefixed string.
func envBytes(kind, flags byte, parts ...any) []byte {
	b := []byte{kind, flags}
	for _, p := range parts {
		switch p := p.(type) {
		case uint64:
			b = binary.AppendUvarint(b, p)
		case int:
			b = binary.AppendUvarint(b, uint64(p))
		case string:
			b = appendString(b, p)
		case []byte: // raw bytes
			b = append(b, p...)
		default:
			panic(fmt.Sprintf("envBytes: %T", p))
		}
	}
	return b
}

func TestParseEnvelopeMalformed(t *testing.T) {
	overflow := bytes.Repeat([]byte{0xff}, 10) // a uvarint over 64 bits
	overflow = append(overflow, 0x01)
	cases := map[string][]byte{
		"nil":                    nil,
		"empty":                  {},
		"kind only":              {kindUser},
		"flags, no type name":    {kindUser, 0},
		"kind 0":                 envBytes(0, 0, "t"),
		"kind 3":                 envBytes(3, 0, "t"),
		"kind 255":               envBytes(255, 0, "t"),
		"unknown flag 8":         envBytes(kindUser, 8, "t"),
		"unknown flag 0x80":      envBytes(kindUser, 0x80|flagTarget, "id", "t"),
		"empty target":           envBytes(kindUser, flagTarget, "", "t"),
		"target past the end":    envBytes(kindUser, flagTarget, 10, []byte("abc")),
		"target length overflow": envBytes(kindUser, flagTarget, overflow, "t"),
		"target, no type name":   envBytes(kindUser, flagTarget, "id"),
		"sender rank 2^31":       envBytes(kindUser, flagSender, uint64(1<<31), "s", 1, "t"),
		"sender rank 2^64-1":     envBytes(kindUser, flagSender, uint64(math.MaxUint64), "s", 1, "t"),
		"sender rank overflow":   envBytes(kindUser, flagSender, overflow, "s", 1, "t"),
		"sender rank cut":        envBytes(kindUser, flagSender, []byte{0x80}),
		"sender id past the end": envBytes(kindUser, flagSender, 1, 50, []byte("short")),
		"no request id":          envBytes(kindUser, flagSender, 1, "s"),
		"request id 2^32":        envBytes(kindUser, flagSender, 1, "s", uint64(1<<32), "t"),
		"request id cut":         envBytes(kindUser, flagSender, 1, "s", []byte{0xff}),
		"sender, no type name":   envBytes(kindUser, flagSender, 1, "s", 1),
		"empty header":           envBytes(kindUser, flagHeader, 0, "t"),
		"header over the bound":  envBytes(kindUser, flagHeader, maxHeaderPairs+1, "k", "v", "t"),
		"header size overflow":   envBytes(kindUser, flagHeader, overflow, "t"),
		"header pairs missing":   envBytes(kindUser, flagHeader, 2, "k", "v"),
		"header value missing":   envBytes(kindUser, flagHeader, 1, "k"),
		"header key past end":    envBytes(kindUser, flagHeader, 1, 9, []byte("k")),
		"empty type name":        envBytes(kindUser, 0, "", "payload"),
		"type name past the end": envBytes(kindUser, 0, 8, []byte("short")),
		// A length that counts its own prefix byte: one past the end once
		// the prefix is read. (FuzzParseEnvelope found this; it panicked.)
		"type name one past the end":  envBytes(kindUser, 0, 2, []byte("a")),
		"target one past the end":     envBytes(kindUser, flagTarget, 5, []byte("abcd")),
		"sender id one past the end":  envBytes(kindUser, flagSender, 0x30, 6, []byte("00000")),
		"header key one past the end": envBytes(kindUser, flagHeader, 1, 3, []byte("ab")),
		"type name cut varint":        envBytes(kindUser, 0, []byte{0x80}),
		"everything, cut":             envBytes(kindUser, flagsKnown, "id", 1, "s", 2, 1, "k", "v", 4, []byte("ty")),
		"flags say sender, none":      envBytes(kindUser, flagSender, "t"),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			var e envelope
			err := parseSafely(b, &e)
			if errors.Is(err, errPanicked) {
				t.Fatalf("parseEnvelope(% x): %v; want ErrBadEnvelope", b, err)
			}
			if !errors.Is(err, ErrBadEnvelope) {
				t.Fatalf("parseEnvelope(% x) = %v, want ErrBadEnvelope (parsed %+v)", b, err, e)
			}
		})
	}

	// The largest values each field accepts still parse.
	var e envelope
	ok := envBytes(kindUser, flagsKnown, "id", uint64(1<<31-1), "s", uint64(math.MaxUint32), 1, "k", "v", "t")
	if err := parseEnvelope(ok, &e); err != nil || e.senderRank != 1<<31-1 || e.requestID != math.MaxUint32 {
		t.Fatalf("largest values: %v, %+v", err, e)
	}
	if err := parseEnvelope(envBytes(kindUser, flagHeader, maxHeaderPairs, bigHeaderPairs(maxHeaderPairs), "t"), &e); err != nil || len(e.header) != maxHeaderPairs {
		t.Fatalf("%d header pairs: %v, %d parsed", maxHeaderPairs, err, len(e.header))
	}
}

func bigHeaderPairs(n int) []byte {
	var b []byte
	for i := range n {
		b = appendString(b, fmt.Sprint("k", i))
		b = appendString(b, "v")
	}
	return b
}

func FuzzParseEnvelope(f *testing.F) {
	seeds := []envelope{
		{kind: kindUser, typeName: "t"},
		{kind: kindUser, typeName: "google.protobuf.Int64Value", payload: []byte{8, 42}},
		{kind: kindSystem, target: "parent/@a.3", typeName: "actor.Stop"},
		{kind: kindUser, hasSender: true, senderRank: 1 << 20, senderID: "s/@1.2", requestID: math.MaxUint32, typeName: "x"},
		{kind: kindUser, target: "named", hasSender: true, senderRank: 3, senderID: "future$7", requestID: 300,
			header: map[string]string{"k": "v"}, typeName: "x", payload: []byte("pp")},
	}
	for _, e := range seeds {
		f.Add(appendEnvelope(nil, &e))
	}
	f.Add([]byte{})
	f.Add([]byte{kindUser, flagHeader, 2, 1, 'k', 1, 'v', 1, 'k', 1, 'w', 1, 't'}) // a duplicate key
	f.Add([]byte{kindUser, 0, 0x81, 0x00, 't'})                                    // a long uvarint
	f.Add(envBytes(kindUser, flagHeader, maxHeaderPairs+1, "k", "v", "t"))
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		var e envelope
		err := parseSafely(b, &e)
		if !bytes.Equal(b, orig) {
			t.Fatal("parseEnvelope wrote to its input")
		}
		if errors.Is(err, errPanicked) {
			t.Fatalf("parseEnvelope(% x): %v", b, err)
		}
		if err != nil {
			if !errors.Is(err, ErrBadEnvelope) {
				t.Fatalf("error %v does not wrap ErrBadEnvelope", err)
			}
			return
		}
		if e.typeName == "" || (e.target == "" && b[1]&flagTarget != 0) || (e.header != nil && len(e.header) == 0) {
			t.Fatalf("parsed an envelope the format forbids: %+v", e)
		}
		if e.hasSender && (e.senderRank < 0 || e.senderRank > 1<<31-1) {
			t.Fatalf("sender rank %d", e.senderRank)
		}
		// parse → append → parse is stable, and the second encoding is no
		// longer than the input (minimal varints, duplicate keys merged).
		b2 := appendEnvelope(nil, &e)
		if len(b2) > len(b) {
			t.Fatalf("re-encoded %d bytes as %d", len(b), len(b2))
		}
		var e2 envelope
		if err := parseEnvelope(b2, &e2); err != nil {
			t.Fatalf("re-encoded envelope does not parse: %v\n in % x\nout % x", err, b, b2)
		}
		if err := sameEnvelope(&e2, &e); err != nil {
			t.Fatalf("parse → append → parse changed the envelope: %v", err)
		}
		if len(e.header) <= 1 {
			if b3 := appendEnvelope(nil, &e2); !bytes.Equal(b3, b2) {
				t.Fatalf("encoding is not a fixed point:\n% x\n% x", b2, b3)
			}
		}
	})
}
