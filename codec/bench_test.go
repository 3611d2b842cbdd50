package codec_test

import (
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/codec"
)

// The benchmarks encode into a reused buffer, as the runtime does, so that
// the allocations reported are the codec's own.

func BenchmarkEncodeProto(b *testing.B) {
	c := benchCodec(b)
	msg := wrapperspb.Int64(1234567)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		_, out, err := c.AppendEncode(buf[:0], msg)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkDecodeProto(b *testing.B) {
	c := benchCodec(b)
	name, payload, err := c.AppendEncode(nil, wrapperspb.Int64(1234567))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(name, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeCBOR(b *testing.B) {
	c := benchCodec(b)
	msg := &Ping{N: 1234567, S: "hello"}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		_, out, err := c.AppendEncode(buf[:0], msg)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkDecodeCBOR(b *testing.B) {
	c := benchCodec(b)
	name, payload, err := c.AppendEncode(nil, &Ping{N: 1234567, S: "hello"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(name, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCodec(b *testing.B) *codec.Codec {
	c, err := codec.New(codec.Type[*Ping]("ping"))
	if err != nil {
		b.Fatal(err)
	}
	return c
}
