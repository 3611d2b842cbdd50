package mailbox

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDescriptorRoundTrip(t *testing.T) {
	d := descriptor{rank: 3, block: 17, tag: 99, offset: 1 << 20, length: 256 << 10, total: 100 << 20}
	b := d.append(nil)
	require.Len(t, b, descriptorBytes)
	got, err := parseDescriptor(b)
	require.NoError(t, err)
	require.Equal(t, d, got)
}

func TestDescriptorRejects(t *testing.T) {
	good := descriptor{rank: 1, block: 2, tag: 5, offset: 10, length: 20, total: 30}
	for name, d := range map[string]descriptor{
		"tag 0":          {rank: 1, block: 2, tag: 0, offset: 0, length: 1, total: 1},
		"empty chunk":    {rank: 1, block: 2, tag: 1, offset: 0, length: 0, total: 1},
		"past the end":   {rank: 1, block: 2, tag: 1, offset: 25, length: 10, total: 30},
		"offset too far": {rank: 1, block: 2, tag: 1, offset: 31, length: 1, total: 30},
		"too large":      {rank: 1, block: 2, tag: 1, offset: 0, length: 1, total: maxTotal + 1},
	} {
		_, err := parseDescriptor(d.append(nil))
		require.ErrorIs(t, err, ErrBadFrame, name)
	}
	b := good.append(nil)
	b[28] = 1 // reserved
	_, err := parseDescriptor(b)
	require.ErrorIs(t, err, ErrBadFrame)
	_, err = parseDescriptor(b[:39])
	require.ErrorIs(t, err, ErrBadFrame)
}

// A staged entry in a frame must be exactly a descriptor long.
func TestParseFrameStagedEntry(t *testing.T) {
	var w frameWriter
	w.reset(1 << 10)
	w.add(1, []byte("small"))
	d := descriptor{rank: 0, block: 1, tag: 7, offset: 0, length: 4, total: 4}
	w.addStaged(2, &d)
	entries, err := ParseFrame(w.bytes(), nil)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	require.False(t, entries[0].Staged)
	require.True(t, entries[1].Staged)
	require.Equal(t, uint32(2), entries[1].Incarnation)
	got, err := parseDescriptor(entries[1].Body)
	require.NoError(t, err)
	require.Equal(t, d, got)

	// A staged entry of another length is a malformed frame.
	frame := bytes.Clone(w.bytes())
	frame = append(frame[:len(frame)-descriptorBytes-entryHeader], 0x03, 0, 0, 0x80, 0, 0, 0, 0, 1, 2, 3)
	_, err = ParseFrame(frame, nil)
	require.True(t, errors.Is(err, ErrBadFrame), "%v", err)
}

// FuzzParseDescriptor: any bytes either parse into a descriptor that
// encodes back to the same bytes and describes a chunk inside its
// envelope, or fail with ErrBadFrame; never a panic.
func FuzzParseDescriptor(f *testing.F) {
	f.Add((&descriptor{rank: 1, block: 2, tag: 3, offset: 0, length: 4, total: 4}).append(nil))
	f.Add((&descriptor{rank: 0, block: 0, tag: 1 << 63, offset: 1 << 30, length: 1, total: 1<<30 + 1}).append(nil))
	f.Add(make([]byte, descriptorBytes))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseDescriptor(b)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("error %v does not wrap ErrBadFrame", err)
			}
			return
		}
		if !bytes.Equal(d.append(nil), b) {
			t.Fatalf("%+v encodes to other bytes", d)
		}
		if d.tag == 0 || d.length == 0 || d.total > maxTotal || d.offset+uint64(d.length) > d.total {
			t.Fatalf("accepted %+v", d)
		}
	})
}
