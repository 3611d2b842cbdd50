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
	if err := h.validate(); err != nil {
		return b, err
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
	for _, v := range f[:4] {
		if v > maxHandleField {
			return fmt.Errorf("%w: field %d out of range", ErrBadHandle, v)
		}
	}
	d := Handle{Rank: int(f[0]), Offset: int(f[1]), Capacity: int(f[2]), MessageSize: int(f[3]), Generation: f[4]}
	if err := d.validate(); err != nil {
		return err
	}
	*h = d
	return nil
}

const maxHandleField = 1 << 62

// validate is the one range check shared by encoding and decoding, so that
// every handle that encodes also decodes.
func (h Handle) validate() error {
	if h.Rank < 0 || h.Rank > maxHandleField || h.Offset < 0 || h.Offset > maxHandleField ||
		h.Capacity < 1 || h.Capacity > maxHandleField || h.MessageSize < 0 || h.MessageSize > MaxMessageSize {
		return fmt.Errorf("%w: fields out of range: %+v", ErrBadHandle, h)
	}
	return nil
}

func firstByte(b []byte) any {
	if len(b) == 0 {
		return "none"
	}
	return b[0]
}
