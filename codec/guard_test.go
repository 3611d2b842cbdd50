package codec

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// panicky has an UnmarshalCBOR method that panics: code of the registered
// type's author, which Decode runs on the payload.
type panicky struct{ B []byte }

func (p *panicky) UnmarshalCBOR(b []byte) error {
	if len(b) > 1 && b[1] == 0xEE {
		panic("boom")
	}
	p.B = append([]byte(nil), b...)
	return nil
}

func (p panicky) MarshalCBOR() ([]byte, error) {
	return []byte{0x41, 0x00}, nil // the byte string 0x00
}

func TestDecodeGuardsAgainstPanickingUnmarshaler(t *testing.T) {
	c, err := New(Type[panicky]("panicky"))
	require.NoError(t, err)

	name, b, err := c.AppendEncode(nil, panicky{})
	require.NoError(t, err)
	v, err := c.Decode(name, b)
	require.NoError(t, err)
	assert.Equal(t, panicky{B: []byte{0x41, 0x00}}, v)

	v, err = c.Decode(name, []byte{0x41, 0xEE})
	require.ErrorIs(t, err, ErrDecode)
	assert.True(t, errors.Is(err, errPanic))
	assert.Contains(t, err.Error(), "boom")
	assert.Nil(t, v)
}

func TestQuoteName(t *testing.T) {
	assert.Equal(t, `"ping"`, quoteName("ping"))
	long := string(make([]byte, 100))
	q := quoteName(long)
	assert.Contains(t, q, "(100 bytes)")
	assert.Less(t, len(q), 4*maxQuotedName+30)
}
