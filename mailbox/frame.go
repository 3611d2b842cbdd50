package mailbox

import (
	"encoding/binary"
	"fmt"
)

// A frame is what one ring slot carries: a batch of envelopes for one
// mailbox, so that a batch costs one ticket and one commit.
//
//	frame  = magic(1) version(1) count(2) entry{count}
//	entry  = length(4) incarnation(4) body(length)
//
// All integers are little-endian. The top bit of length marks a staged
// entry, whose body is a descriptor of a chunk of a large envelope
// (descriptor.go). The incarnation names which use of the
// target ring the sender meant; the owner turns entries for an ended
// incarnation into dead letters.
const (
	frameMagic     = 0xA7
	frameVersion   = 1
	frameHeader    = 4
	entryHeader    = 8
	maxFrameCount  = 1<<16 - 1
	minFrameLength = frameHeader + entryHeader
)

// FrameOverhead is the number of bytes a frame with one entry adds to the
// entry's body.
const FrameOverhead = frameHeader + entryHeader

// frameWriter builds one frame in a reusable buffer.
type frameWriter struct {
	buf   []byte
	count int
	limit int
}

// reset starts an empty frame that may grow to limit bytes.
func (w *frameWriter) reset(limit int) {
	w.buf = append(w.buf[:0], frameMagic, frameVersion, 0, 0)
	w.count = 0
	w.limit = limit
}

// fits reports whether a body of n bytes can join the frame.
func (w *frameWriter) fits(n int) bool {
	return w.count < maxFrameCount && len(w.buf)+entryHeader+n <= w.limit
}

// add appends one entry; the caller checked fits.
func (w *frameWriter) add(inc uint32, body []byte) {
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(body)))
	w.buf = binary.LittleEndian.AppendUint32(w.buf, inc)
	w.buf = append(w.buf, body...)
	w.count++
	binary.LittleEndian.PutUint16(w.buf[2:], uint16(w.count))
}

// addStaged appends one descriptor entry; the caller checked fits.
func (w *frameWriter) addStaged(inc uint32, d *descriptor) {
	w.buf = binary.LittleEndian.AppendUint32(w.buf, descriptorBytes|entryStaged)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, inc)
	w.buf = d.append(w.buf)
	w.count++
	binary.LittleEndian.PutUint16(w.buf[2:], uint16(w.count))
}

// bytes is the frame as built so far.
func (w *frameWriter) bytes() []byte { return w.buf }

// Entry is one envelope of a frame.
type Entry struct {
	Incarnation uint32
	Body        []byte
	// Staged entries carry a descriptor of a chunk of a large envelope;
	// the assembler turns them into the envelope.
	Staged bool
	// pooled: Body is an assembly buffer, given back once the entry is
	// decoded or reported (Rank.recycle).
	pooled bool
}

// ParseFrame checks a whole frame before anything in it is used and returns
// its entries, whose bodies alias frame. Bytes that are not a well-formed
// frame give ErrBadFrame and no entries: a corrupt slot never delivers half a
// message.
func ParseFrame(frame []byte, dst []Entry) ([]Entry, error) {
	if len(frame) < minFrameLength {
		return dst, fmt.Errorf("%w: %d bytes, shorter than any frame", ErrBadFrame, len(frame))
	}
	if frame[0] != frameMagic || frame[1] != frameVersion {
		return dst, fmt.Errorf("%w: magic %#x version %d", ErrBadFrame, frame[0], frame[1])
	}
	count := int(binary.LittleEndian.Uint16(frame[2:]))
	if count == 0 {
		return dst, fmt.Errorf("%w: no entries", ErrBadFrame)
	}
	start := len(dst)
	rest := frame[frameHeader:]
	for i := range count {
		if len(rest) < entryHeader {
			return dst[:start], fmt.Errorf("%w: entry %d of %d truncated", ErrBadFrame, i, count)
		}
		n := binary.LittleEndian.Uint32(rest)
		inc := binary.LittleEndian.Uint32(rest[4:])
		rest = rest[entryHeader:]
		staged := n&entryStaged != 0
		n &^= entryStaged
		if uint64(n) > uint64(len(rest)) {
			return dst[:start], fmt.Errorf("%w: entry %d claims %d bytes, %d left", ErrBadFrame, i, n, len(rest))
		}
		if staged && n != descriptorBytes {
			return dst[:start], fmt.Errorf("%w: staged entry %d of %d bytes, want %d", ErrBadFrame, i, n, descriptorBytes)
		}
		dst = append(dst, Entry{Incarnation: inc, Body: rest[:n:n], Staged: staged})
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return dst[:start], fmt.Errorf("%w: %d bytes after the last entry", ErrBadFrame, len(rest))
	}
	return dst, nil
}
