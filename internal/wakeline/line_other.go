//go:build !linux

package wakeline

import (
	"errors"
	"time"
)

// ErrUnsupported: wake-up lines need Linux's abstract Unix sockets.
var errUnsupported = errors.New("wakeline: not supported on this system")

// Line is the receiving end of a wake-up line (Linux only).
type Line struct{}

// Open fails: lines exist on Linux only.
func Open(uint64, string) (*Line, error) { return nil, errUnsupported }

// Drain does nothing.
func (*Line) Drain() {}

// Sleep does nothing.
func (*Line) Sleep(time.Duration) {}

// Close does nothing.
func (*Line) Close() error { return nil }

// Waker sends wake-ups to lines (Linux only).
type Waker struct{}

// NewWaker fails: lines exist on Linux only.
func NewWaker() (*Waker, error) { return nil, errUnsupported }

// Wake does nothing.
func (*Waker) Wake(uint64, string) error { return nil }

// Close does nothing.
func (*Waker) Close() error { return nil }
