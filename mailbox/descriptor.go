package mailbox

import (
	"encoding/binary"
	"fmt"
)

// Envelopes larger than a ring slot take the rendezvous path: the sender
// copies them, a chunk at a time, into blocks of its own staging window
// (staging.go), and the frame entry that travels through the target's ring
// is a descriptor naming the block. The receiver reads the chunk with a
// one-sided get and releases the block (assemble.go). A descriptor entry is
// marked by the top bit of the entry's length word.
const entryStaged = 1 << 31

// A descriptor is the body of a staged entry, 40 bytes:
//
//	rank(4) block(4) tag(8) offset(8) length(4) reserved(4) total(8)
//
// little-endian. rank is the sender, whose staging window holds the chunk;
// tag is unique per sender and use of the block, and the receiver writes it
// into the block's state word to release it; offset and length place the
// chunk in an envelope of total bytes. The chunks of one envelope travel in
// order and back to back in the sender's stream to that ring.
type descriptor struct {
	rank   int
	block  int
	tag    uint64
	offset uint64
	length int
	total  uint64
}

const descriptorBytes = 40

// Bounds of the large-message path: the largest envelope, and the most
// blocks a staging window is cut into.
const (
	maxTotal  = 1<<32 - 1
	maxBlocks = 1 << 16
)

func (d *descriptor) append(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(d.rank))
	b = binary.LittleEndian.AppendUint32(b, uint32(d.block))
	b = binary.LittleEndian.AppendUint64(b, d.tag)
	b = binary.LittleEndian.AppendUint64(b, d.offset)
	b = binary.LittleEndian.AppendUint32(b, uint32(d.length))
	b = binary.LittleEndian.AppendUint32(b, 0)
	return binary.LittleEndian.AppendUint64(b, d.total)
}

// parseDescriptor reads a descriptor and checks what it can by itself: the
// chunk lies inside the envelope, the envelope within the largest one
// allowed, and a chunk is never empty. The rank, block and chunk bounds are
// checked against the configuration by the assembler.
func parseDescriptor(b []byte) (descriptor, error) {
	var d descriptor
	if len(b) != descriptorBytes {
		return d, fmt.Errorf("%w: %d-byte descriptor, want %d", ErrBadFrame, len(b), descriptorBytes)
	}
	d.rank = int(binary.LittleEndian.Uint32(b))
	d.block = int(binary.LittleEndian.Uint32(b[4:]))
	d.tag = binary.LittleEndian.Uint64(b[8:])
	d.offset = binary.LittleEndian.Uint64(b[16:])
	d.length = int(binary.LittleEndian.Uint32(b[24:]))
	d.total = binary.LittleEndian.Uint64(b[32:])
	switch {
	case binary.LittleEndian.Uint32(b[28:]) != 0:
		return d, fmt.Errorf("%w: descriptor's reserved word is set", ErrBadFrame)
	case d.tag == 0:
		return d, fmt.Errorf("%w: descriptor with tag 0", ErrBadFrame)
	case d.length == 0:
		return d, fmt.Errorf("%w: empty chunk", ErrBadFrame)
	case d.total > maxTotal:
		return d, fmt.Errorf("%w: %d-byte envelope", ErrBadFrame, d.total)
	case d.offset > d.total || uint64(d.length) > d.total-d.offset:
		return d, fmt.Errorf("%w: chunk [%d, +%d) outside a %d-byte envelope", ErrBadFrame, d.offset, d.length, d.total)
	}
	return d, nil
}
