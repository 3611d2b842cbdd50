package codec_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/codec"
)

type point struct {
	X, Y float64
	Tag  string
}

func TestValueRoundTrip(t *testing.T) {
	b, err := codec.AppendValue(nil, point{1, 2, "a"})
	require.NoError(t, err)
	p, err := codec.DecodeValue[point](b)
	require.NoError(t, err)
	require.Equal(t, point{1, 2, "a"}, p)

	b, err = codec.AppendValue([]byte("prefix"), wrapperspb.Int64(7))
	require.NoError(t, err)
	m, err := codec.DecodeValue[*wrapperspb.Int64Value](b[len("prefix"):])
	require.NoError(t, err)
	require.Equal(t, int64(7), m.Value)

	b, err = codec.AppendValue(nil, struct{}{})
	require.NoError(t, err)
	_, err = codec.DecodeValue[struct{}](b)
	require.NoError(t, err)
}

func TestDecodeValueRejects(t *testing.T) {
	_, err := codec.DecodeValue[point]([]byte{0xff, 0x00})
	require.ErrorIs(t, err, codec.ErrDecode)
	_, err = codec.DecodeValue[*wrapperspb.Int64Value]([]byte{0xff})
	require.ErrorIs(t, err, codec.ErrDecode)
	_, err = codec.AppendValue(nil, make(chan int))
	require.ErrorIs(t, err, codec.ErrEncode)
}
