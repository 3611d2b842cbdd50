package codec_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A protobuf payload goes into the memory grow returns, sized exactly, and
// its bytes are AppendEncode's; a payload that fits dst, or one encoded
// with CBOR, never calls grow.
func TestAppendEncodeGrow(t *testing.T) {
	c := newCodec(t)
	nested, err := structpb.NewStruct(map[string]any{"a": []any{1.0, "x", map[string]any{"b": true}}})
	require.NoError(t, err)
	big := wrapperspb.Bytes(bytes.Repeat([]byte{7}, 100_000))
	for _, msg := range []any{big, nested} {
		wantName, want, err := c.AppendEncode([]byte("head"), msg)
		require.NoError(t, err)
		var asked int
		var given []byte
		grow := func(b []byte, n int) []byte {
			asked = n
			given = append(make([]byte, 0, len(b)+n), b...)
			return given
		}
		name, out, err := c.AppendEncodeGrow([]byte("head"), msg, grow)
		require.NoError(t, err)
		assert.Equal(t, wantName, name)
		assert.Equal(t, want, out, "%T", msg)
		assert.Equal(t, len(want)-len("head"), asked, "%T: grow asked for the payload's size", msg)
		assert.Same(t, &given[:1][0], &out[0], "%T: the payload went into grow's memory", msg)
		assert.Equal(t, cap(given), cap(out), "%T: the encoder grew the buffer again", msg)
	}
	grow := func([]byte, int) []byte { t.Fatal("grow called"); return nil }
	_, out, err := c.AppendEncodeGrow(make([]byte, 0, 64), wrapperspb.Int64(3), grow)
	require.NoError(t, err)
	assert.NotEmpty(t, out)
	_, out, err = c.AppendEncodeGrow(nil, map[string]int{"a": 1}, grow)
	require.NoError(t, err)
	assert.NotEmpty(t, out)
	// A nil grow is AppendEncode.
	_, out, err = c.AppendEncodeGrow(nil, big, nil)
	require.NoError(t, err)
	assert.Len(t, out, len(big.Value)+4)
}
