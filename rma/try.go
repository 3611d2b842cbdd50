package rma

import "fmt"

// TryPut enqueues msg if a slot is free and reports whether it did. It never
// waits, so a dispatcher that must not block on a full ring uses it and keeps
// the message for later. It keeps submission order with this handle's earlier
// PutFs by refusing (false) while any of them is still queued. An oversize
// message gives ErrMessageTooLarge with nothing written.
func (c *Channel) TryPut(msg []byte) (bool, error) {
	if err := c.checkPut(msg); err != nil {
		return false, err
	}
	if c.puts.busy() {
		return false, nil
	}
	ok, err := c.ring.tryPut(&c.tailHint, msg)
	if err != nil {
		return false, fmt.Errorf("rma: put: %w", err)
	}
	return ok, nil
}

// TryTakeAppend takes the next message if one is committed, appending its
// payload to dst, and reports whether it took one. It never waits. Once every
// claimed message was taken it returns ErrNoMore; before the first claim it
// reports false. While this handle's TakeFs are queued it reports false, so
// that they keep their order.
func (c *Channel) TryTakeAppend(dst []byte) ([]byte, bool, error) {
	if c.closed.Load() {
		return dst, false, fmt.Errorf("rma: take: %w", ErrClosed)
	}
	if c.takes.busy() {
		return dst, false, nil
	}
	out, st, err := c.ring.tryTake(dst)
	if err != nil {
		return out, false, fmt.Errorf("rma: take: %w", err)
	}
	switch st {
	case took:
		return out, true, nil
	case noMore:
		return dst, false, ErrNoMore
	}
	if c.ring.owned {
		// Under MPI's separate memory model the owner's view must be
		// refreshed before the next poll can see remote commits.
		if err := c.ring.win.Sync(); err != nil {
			return dst, false, fmt.Errorf("rma: take: %w", err)
		}
	}
	return dst, false, nil
}
