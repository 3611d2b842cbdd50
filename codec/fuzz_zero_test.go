package codec

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// FuzzDecodeZero runs Decode on the codecs that handle protobuf messages
// and the built-in Go types only: a nil *Codec and the zero Codec (no name
// cache: every name is looked up in the registry) and a Codec from New with
// no registrations (names cached). FuzzDecode covers a codec with
// registered Go types. For any name and payload the three must agree: the
// same message (proto.Equal, or the same Go value), or errors wrapping the
// same sentinel, ErrUnknownType or ErrDecode, never owed to a caught panic.
// A name without the "pb:" or "go:" prefix is always ErrUnknownType. A
// second Decode with the same codec, now served from its cache, gives the
// same result, and a decoded message encodes again under its name.
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
	for _, v := range []any{uint64(1 << 40), "s", []byte{0}, []int{-1, 1}, []float64{0.5}, map[string]bool{"t": true}, map[int64]int64{-1: 1}} {
		name, b, err := fresh.AppendEncode(nil, v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, b)
		f.Add(name, b[:len(b)/2])
	}
	f.Add("go:", []byte{0x00})
	f.Add("go:uint", []byte{0x3b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}) // -1
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
			if !strings.HasPrefix(name, protoPrefix) && !strings.HasPrefix(name, builtinPrefix) && sentinel(err) != ErrUnknownType {
				t.Fatalf("%s codec: Decode(%q), neither a protobuf nor a built-in name, = %v, %v; want ErrUnknownType", k.what, name, v, err)
			}
			if i == 0 {
				first, firstErr = v, err
				continue
			}
			if sentinel(err) != sentinel(firstErr) {
				t.Fatalf("Decode(%q, %x): %s codec says %v, nil codec %v", name, payload, k.what, err, firstErr)
			}
			if err == nil && !sameMessage(v, first) {
				t.Fatalf("Decode(%q, %x): %s codec gives %v, nil codec %v", name, payload, k.what, v, first)
			}
		}
		if firstErr != nil {
			return
		}
		if _, ok := first.(proto.Message); !ok && !strings.HasPrefix(name, builtinPrefix) {
			t.Fatalf("Decode(%q) gave a %T, neither a protobuf message nor a built-in type", name, first)
		}
		for _, k := range codecs {
			name2, _, err := k.c.AppendEncode(nil, first)
			if err != nil || name2 != name {
				t.Fatalf("%s codec: decoded %v as %q, encodes as %q (%v)", k.what, first, name, name2, err)
			}
		}
	})
}

// sameMessage reports whether a and b, decoded from the same name and
// payload, are the same: protobuf messages by proto.Equal, Go values by
// reflect.DeepEqual or, for values holding NaN (not equal to itself), by
// their printed form.
func sameMessage(a, b any) bool {
	if m, ok := a.(proto.Message); ok {
		n, ok := b.(proto.Message)
		return ok && proto.Equal(m, n)
	}
	return reflect.DeepEqual(a, b) ||
		(reflect.TypeOf(a) == reflect.TypeOf(b) && fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b))
}
