package farm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The farm's messages between ranks travel as []byte (a built-in type of
// the codec, so a farm needs no registration), framed here:
//
//	tasks   = kind(1)=1 from(4) first(8) n(4) { len(4) task }n
//	results = kind(1)=2 first(8) n(4) { status(1) len(4) bytes }n
//	cancel  = kind(1)=3 from(4) first(8) n(4)
//
// little-endian. A chunk's tasks have the ids first .. first+n-1, assigned
// by the submitting rank from; a result's status is 0 with the encoded
// result, or 1 with the task's error text.
const (
	kindTasks   = 1
	kindResults = 2
	kindCancel  = 3

	statusOK    = 0
	statusError = 1
)

// errWire reports a farm message that does not parse: a bug, or bytes that
// were never a farm's.
var errWire = errors.New("farm: malformed message")

func appendTasksHeader(b []byte, from int, first uint64, n int) []byte {
	b = append(b, kindTasks)
	b = binary.LittleEndian.AppendUint32(b, uint32(from))
	b = binary.LittleEndian.AppendUint64(b, first)
	return binary.LittleEndian.AppendUint32(b, uint32(n))
}

func appendResultsHeader(b []byte, first uint64, n int) []byte {
	b = append(b, kindResults)
	b = binary.LittleEndian.AppendUint64(b, first)
	return binary.LittleEndian.AppendUint32(b, uint32(n))
}

func appendCancel(b []byte, from int, first uint64, n int) []byte {
	b = append(b, kindCancel)
	b = binary.LittleEndian.AppendUint32(b, uint32(from))
	b = binary.LittleEndian.AppendUint64(b, first)
	return binary.LittleEndian.AppendUint32(b, uint32(n))
}

// appendItem appends one length-prefixed item (a task, or a result's
// bytes) after its status byte, if status >= 0.
func appendItem(b []byte, status int, item []byte) []byte {
	if status >= 0 {
		b = append(b, byte(status))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(item)))
	return append(b, item...)
}

// header is a parsed message header; rest holds the items.
type header struct {
	kind  byte
	from  int
	first uint64
	n     int
	rest  []byte
}

func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < 1 {
		return h, fmt.Errorf("%w: empty", errWire)
	}
	h.kind = b[0]
	b = b[1:]
	if h.kind == kindTasks || h.kind == kindCancel {
		if len(b) < 4 {
			return h, fmt.Errorf("%w: %d-byte header", errWire, len(b)+1)
		}
		h.from = int(binary.LittleEndian.Uint32(b))
		b = b[4:]
	} else if h.kind != kindResults {
		return h, fmt.Errorf("%w: kind %d", errWire, h.kind)
	}
	if len(b) < 12 {
		return h, fmt.Errorf("%w: short header", errWire)
	}
	h.first = binary.LittleEndian.Uint64(b)
	h.n = int(binary.LittleEndian.Uint32(b[8:]))
	h.rest = b[12:]
	return h, nil
}

// nextItem takes one item off rest: its status (if withStatus) and bytes.
func nextItem(rest []byte, withStatus bool) (status byte, item, tail []byte, err error) {
	if withStatus {
		if len(rest) < 1 {
			return 0, nil, nil, fmt.Errorf("%w: item cut short", errWire)
		}
		status, rest = rest[0], rest[1:]
	}
	if len(rest) < 4 {
		return 0, nil, nil, fmt.Errorf("%w: item cut short", errWire)
	}
	n := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(n) > uint64(len(rest)) {
		return 0, nil, nil, fmt.Errorf("%w: item of %d bytes, %d left", errWire, n, len(rest))
	}
	return status, rest[:n:n], rest[n:], nil
}
