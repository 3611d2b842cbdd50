package mailbox

import (
	"encoding/binary"
	"fmt"
)

// The relay's messages (relay.go). Every message starts with a header:
//
//	header = kind(1) reserved(1) acks(2) key(4)
//	ack    = key(4) taken(4)
//
// followed by its acks, then by what its kind carries:
//
//	relayFrame: a frame for the ring of key (-1: the inbox)
//	relayChunk: inc(4) length(4) offset(8) total(8), the place of one chunk
//	            of a large envelope; the sender's next message is the chunk
//	relayAcks:  nothing more
//
// All integers are little-endian. An ack returns taken credits of the
// receiver's outlet for key: frames, or large envelopes, that the sender of
// the ack took out of its queue for key.
const (
	relayFrame = 1
	relayChunk = 2
	relayAcks  = 3

	relayHeader     = 8
	relayAckBytes   = 8
	relayChunkBytes = 24
	maxRelayAcks    = 1<<16 - 1
)

// relayAck is one ack: taken credits of the outlet for key.
type relayAck struct {
	key   int32
	taken uint32
}

// chunkPlace is where a relayed chunk belongs.
type chunkPlace struct {
	inc    uint32
	length int
	offset uint64
	total  uint64
}

// relayMessage is a parsed relay message.
type relayMessage struct {
	kind  byte
	key   int
	acks  []relayAck
	frame []byte // relayFrame: aliases the message
	chunk chunkPlace
}

// appendRelayHeader starts a message of kind for key, carrying acks.
func appendRelayHeader(b []byte, kind byte, key int, acks []relayAck) []byte {
	b = append(b, kind, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(acks)))
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(key)))
	for _, a := range acks {
		b = binary.LittleEndian.AppendUint32(b, uint32(a.key))
		b = binary.LittleEndian.AppendUint32(b, a.taken)
	}
	return b
}

func appendChunkPlace(b []byte, c chunkPlace) []byte {
	b = binary.LittleEndian.AppendUint32(b, c.inc)
	b = binary.LittleEndian.AppendUint32(b, uint32(c.length))
	b = binary.LittleEndian.AppendUint64(b, c.offset)
	return binary.LittleEndian.AppendUint64(b, c.total)
}

// parseRelay reads a relay message; acks are appended to dst's storage.
// Anything malformed gives ErrBadFrame.
func parseRelay(b []byte, acks []relayAck) (relayMessage, error) {
	var m relayMessage
	if len(b) < relayHeader {
		return m, fmt.Errorf("%w: relay message of %d bytes", ErrBadFrame, len(b))
	}
	m.kind = b[0]
	n := int(binary.LittleEndian.Uint16(b[2:]))
	m.key = int(int32(binary.LittleEndian.Uint32(b[4:])))
	if b[1] != 0 {
		return m, fmt.Errorf("%w: relay header's reserved byte is set", ErrBadFrame)
	}
	rest := b[relayHeader:]
	if len(rest) < n*relayAckBytes {
		return m, fmt.Errorf("%w: relay message with %d acks in %d bytes", ErrBadFrame, n, len(rest))
	}
	m.acks = acks[:0]
	for range n {
		m.acks = append(m.acks, relayAck{key: int32(binary.LittleEndian.Uint32(rest)), taken: binary.LittleEndian.Uint32(rest[4:])})
		rest = rest[relayAckBytes:]
	}
	switch m.kind {
	case relayFrame:
		m.frame = rest
	case relayChunk:
		if len(rest) != relayChunkBytes {
			return m, fmt.Errorf("%w: relayed chunk place of %d bytes", ErrBadFrame, len(rest))
		}
		m.chunk = chunkPlace{
			inc:    binary.LittleEndian.Uint32(rest),
			length: int(binary.LittleEndian.Uint32(rest[4:])),
			offset: binary.LittleEndian.Uint64(rest[8:]),
			total:  binary.LittleEndian.Uint64(rest[16:]),
		}
		c := m.chunk
		if c.length == 0 || c.total > maxTotal || c.offset > c.total || uint64(c.length) > c.total-c.offset {
			return m, fmt.Errorf("%w: relayed chunk [%d, +%d) of a %d-byte envelope", ErrBadFrame, c.offset, c.length, c.total)
		}
	case relayAcks:
		if len(rest) != 0 {
			return m, fmt.Errorf("%w: %d bytes after a relay ack", ErrBadFrame, len(rest))
		}
	default:
		return m, fmt.Errorf("%w: relay message of kind %d", ErrBadFrame, m.kind)
	}
	if m.key < -1 {
		return m, fmt.Errorf("%w: relay key %d", ErrBadFrame, m.key)
	}
	return m, nil
}
