package mailbox

import (
	"fmt"
	"strconv"
	"strings"
)

// Address names one incarnation of a mailbox ring on a rank: the ring's index
// in the rank's pool and which use of that ring it is. It is written into
// actor ids as "@<index>.<incarnation>" (base 36), so that any rank can reach
// the ring from the PID alone.
type Address struct {
	Index       int
	Incarnation uint32
}

// AddressPrefix starts the last path segment of every id that carries a
// mailbox address.
const AddressPrefix = "@"

// String is the id segment for a.
func (a Address) String() string {
	return AddressPrefix + strconv.FormatUint(uint64(a.Index), 36) + "." + strconv.FormatUint(uint64(a.Incarnation), 36)
}

// ParseID finds the mailbox address in an actor id: the last path segment
// when it starts with AddressPrefix. ok is false for ids that carry none
// (named actors); a segment that starts with the prefix but does not parse
// gives ErrBadAddress.
func ParseID(id string) (a Address, ok bool, err error) {
	seg := id
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		seg = id[i+1:]
	}
	if !strings.HasPrefix(seg, AddressPrefix) {
		return Address{}, false, nil
	}
	idx, inc, found := strings.Cut(seg[len(AddressPrefix):], ".")
	if !found {
		return Address{}, false, fmt.Errorf("%w: %q has no incarnation", ErrBadAddress, id)
	}
	i, err1 := strconv.ParseUint(idx, 36, 31)
	n, err2 := strconv.ParseUint(inc, 36, 32)
	if err1 != nil || err2 != nil {
		return Address{}, false, fmt.Errorf("%w: %q", ErrBadAddress, id)
	}
	a = Address{Index: int(i), Incarnation: uint32(n)}
	if a.String() != seg {
		// One address, one spelling: "@A.03" must not reach "@a.3".
		return Address{}, false, fmt.Errorf("%w: %q is not in canonical form %q", ErrBadAddress, id, a.String())
	}
	return a, true, nil
}

// WithAddress replaces the last path segment of id with a's segment.
func WithAddress(id string, a Address) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[:i+1] + a.String()
	}
	return a.String()
}
