package rma

import (
	"encoding/binary"
	"fmt"
)

// Handle names a channel created in an arena, so that other ranks can
// Attach to it. It is small, comparable and serialisable (MarshalBinary).
type Handle struct {
	Rank        int    // the owner rank
	Offset      int    // byte offset of the ring in the owner's arena segment
	Capacity    int    // slots
	MessageSize int    // largest payload in bytes
	Generation  uint64 // which use of the arena span this is
}

const (
	handleVersion = 1
	// HandleSize is the length of a marshalled Handle.
	HandleSize = 1 + 4*8 + 8
)

// AppendBinary appends the handle's fixed-size encoding to b.
func (h Handle) AppendBinary(b []byte) ([]byte, error) {
	if h.Rank < 0 || h.Offset < 0 || h.Capacity < 1 || h.MessageSize < 0 {
		return b, fmt.Errorf("%w: cannot encode %+v", ErrBadHandle, h)
	}
	b = append(b, handleVersion)
	for _, v := range [...]uint64{uint64(h.Rank), uint64(h.Offset), uint64(h.Capacity), uint64(h.MessageSize), h.Generation} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b, nil
}

// MarshalBinary encodes the handle in HandleSize bytes.
func (h Handle) MarshalBinary() ([]byte, error) { return h.AppendBinary(make([]byte, 0, HandleSize)) }

// UnmarshalBinary decodes a handle. Bytes of the wrong length or version, or
// fields out of range, give ErrBadHandle.
func (h *Handle) UnmarshalBinary(b []byte) error {
	if len(b) != HandleSize || b[0] != handleVersion {
		return fmt.Errorf("%w: %d bytes, version %v: want %d bytes, version %d",
			ErrBadHandle, len(b), firstByte(b), HandleSize, handleVersion)
	}
	var f [5]uint64
	for i := range f {
		f[i] = binary.LittleEndian.Uint64(b[1+8*i:])
	}
	const maxField = 1 << 62
	if f[0] > maxField || f[1] > maxField || f[2] < 1 || f[2] > maxField || f[3] > MaxMessageSize {
		return fmt.Errorf("%w: fields out of range: rank %d offset %d capacity %d message size %d",
			ErrBadHandle, f[0], f[1], f[2], f[3])
	}
	*h = Handle{Rank: int(f[0]), Offset: int(f[1]), Capacity: int(f[2]), MessageSize: int(f[3]), Generation: f[4]}
	return nil
}

func firstByte(b []byte) any {
	if len(b) == 0 {
		return "none"
	}
	return b[0]
}
