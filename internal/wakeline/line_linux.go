package wakeline

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// Line is the receiving end of a wake-up line.
type Line struct {
	conn *net.UnixConn
	buf  [64]byte
}

// name is the abstract socket name of the line (id, role); the leading @
// makes it abstract: no file, gone when its last descriptor closes.
func name(id uint64, role string) string { return fmt.Sprintf("@rmactor-%016x-%s", id, role) }

// Open binds the line (id, role). id must be unique on the machine; a
// random one is.
func Open(id uint64, role string) (*Line, error) {
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name(id, role), Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("wakeline: open %s: %w", name(id, role), err)
	}
	return &Line{conn: conn}, nil
}

// Drain discards the wake-ups already received, so that the next Sleep
// waits for a new one. It never blocks.
func (l *Line) Drain() {
	rc, err := l.conn.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Read(func(fd uintptr) bool {
		for {
			if _, _, err := syscall.Recvfrom(int(fd), l.buf[:], syscall.MSG_DONTWAIT); err != nil {
				return true // empty (EAGAIN) or closed: done either way
			}
		}
	})
}

// Sleep waits until a wake-up arrives, timeout passes, or the line is
// closed; it may return early.
func (l *Line) Sleep(timeout time.Duration) {
	if err := l.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return
	}
	_, _, _ = l.conn.ReadFrom(l.buf[:])
}

// Close releases the line; a Sleep under way returns.
func (l *Line) Close() error { return l.conn.Close() }

// Waker sends wake-ups to lines.
type Waker struct{ fd int }

// NewWaker opens the socket wake-ups are sent from.
func NewWaker() (*Waker, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("wakeline: waker socket: %w", os.NewSyscallError("socket", err))
	}
	return &Waker{fd: fd}, nil
}

// Wake sends one wake-up to the line (id, role) without ever blocking. A
// line whose queue is full has wake-ups waiting already, and a line that is
// gone needs none, so neither is an error; anything else is.
func (w *Waker) Wake(id uint64, role string) error {
	err := syscall.Sendto(w.fd, []byte{1}, syscall.MSG_DONTWAIT, &syscall.SockaddrUnix{Name: name(id, role)})
	if err == nil || errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
		return nil
	}
	return fmt.Errorf("wakeline: wake %s: %w", name(id, role), os.NewSyscallError("sendto", err))
}

// Close releases the waker's socket.
func (w *Waker) Close() error { return syscall.Close(w.fd) }
