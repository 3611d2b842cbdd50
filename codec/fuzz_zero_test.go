package codec

import (
	"errors"
	"strings"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// FuzzDecodeZero runs Decode on the codecs that handle protobuf messages
// only: a nil *Codec and the zero Codec (no name cache: every name is
// looked up in the registry) and a Codec from New with no registrations
// (names cached). FuzzDecode covers a codec with registered Go types. For
// any name and payload the three must agree: the same message (proto.Equal),
// or errors wrapping the same sentinel, ErrUnknownType or ErrDecode, never
// owed to a caught panic. A name without the "pb:" prefix is always
// ErrUnknownType. A second Decode with the same codec, now served from its
// cache, gives the same result, and a decoded message encodes again under
// its name.
func FuzzDecodeZero(f *testing.F) {
	fresh, err := New()
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range []proto.Message{
		wrapperspb.Int64(-42), wrapperspb.String("s"), wrapperspb.Bytes([]byte{0, 1}),
		&actor.PID{Address: "rank:1", Id: "$7", RequestId: 9}, &actor.Watch{Watcher: &actor.PID{Id: "w"}},
		mustStruct(f, map[string]any{"x": []any{1.0, "y", map[string]any{"z": nil}}}),
	} {
		name, b, err := fresh.AppendEncode(nil, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, b)
		f.Add(name, b[:len(b)/2])
	}
	for _, name := range []string{"", "pb:", "pb:.", "pb:google.protobuf.NullValue", "pb:google.protobuf", "ping",
		"pb:google.protobuf.Any", "pb:actor.PID\x00", strings.Repeat("pb:a", 100)} {
		f.Add(name, []byte{0x0a, 0x00})
	}
	f.Add("pb:google.protobuf.Any", []byte{0x0a, 0x03, 'a', '/', 'b', 0x12, 0x01, 0xff})
	f.Add("pb:google.protobuf.StringValue", []byte{0x0a, 0x01, 0xff})

	sentinel := func(err error) error {
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrUnknownType) && !errors.Is(err, ErrDecode):
			return ErrUnknownType
		case errors.Is(err, ErrDecode) && !errors.Is(err, ErrUnknownType):
			return ErrDecode
		}
		return err // neither, or both: reported as it is
	}
	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		cached, err := New()
		if err != nil {
			t.Fatal(err)
		}
		codecs := []struct {
			what string
			c    *Codec
		}{{"nil", nil}, {"zero", &Codec{}}, {"New", cached}, {"New (cached)", cached}}
		var first any
		var firstErr error
		for i, k := range codecs {
			v, err := k.c.Decode(name, payload)
			if errors.Is(err, errPanic) {
				t.Fatalf("%s codec: a decoder panicked: %v", k.what, err)
			}
			if s := sentinel(err); s != nil && s != ErrUnknownType && s != ErrDecode {
				t.Fatalf("%s codec: error %v wraps neither or both of ErrUnknownType and ErrDecode", k.what, err)
			}
			if (err == nil) == (v == nil) {
				t.Fatalf("%s codec: Decode(%q) = %v, %v", k.what, name, v, err)
			}
			if !strings.HasPrefix(name, protoPrefix) && sentinel(err) != ErrUnknownType {
				t.Fatalf("%s codec: Decode(%q), not a protobuf name, = %v, %v; want ErrUnknownType", k.what, name, v, err)
			}
			if i == 0 {
				first, firstErr = v, err
				continue
			}
			if sentinel(err) != sentinel(firstErr) {
				t.Fatalf("Decode(%q, %x): %s codec says %v, nil codec %v", name, payload, k.what, err, firstErr)
			}
			if err == nil && !proto.Equal(v.(proto.Message), first.(proto.Message)) {
				t.Fatalf("Decode(%q, %x): %s codec gives %v, nil codec %v", name, payload, k.what, v, first)
			}
		}
		if firstErr != nil {
			return
		}
		m, ok := first.(proto.Message)
		if !ok {
			t.Fatalf("Decode(%q) gave a %T, not a protobuf message", name, first)
		}
		for _, k := range codecs {
			name2, _, err := k.c.AppendEncode(nil, m)
			if err != nil || name2 != name {
				t.Fatalf("%s codec: decoded %v as %q, encodes as %q (%v)", k.what, m, name, name2, err)
			}
		}
	})
}
