package local

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/rmactor/rmactor/rma"
)

var _ rma.Messenger = (*world)(nil)

// postOffice is one message channel of a Run: a queue per receiving rank.
// A send copies its data into the receiver's queue; one queue per receiver
// keeps every sender's messages in order. As with MPI, a small send is done
// at once (eager) and a larger one only once it is received (rendezvous),
// so that callers meet both behaviours in process.
type postOffice struct {
	boxes []postBox
}

type postBox struct {
	mu   sync.Mutex
	mail []letter
}

type letter struct {
	src      int
	data     []byte
	received *atomic.Bool // nil for an eager send
}

// eagerBytes is the largest send that is done at once.
const eagerBytes = 4 << 10

// messages is one rank's end of a postOffice.
type messages struct {
	w      *world
	po     *postOffice
	closed atomic.Bool
}

// OpenMessages is collective: rank 0 makes the channel, every rank gets its
// end (rma.Messenger).
func (w *world) OpenMessages(ctx context.Context) (rma.Messages, error) {
	var mine *postOffice
	if w.rank == 0 {
		mine = &postOffice{boxes: make([]postBox, w.hub.size)}
	}
	all, err := w.collective(ctx, mine)
	if err != nil {
		return nil, err
	}
	po, ok := all[0].(*postOffice)
	if !ok {
		return nil, fmt.Errorf("%w: rank %d's OpenMessages met another collective call of rank 0", rma.ErrMismatch, w.rank)
	}
	return &messages{w: w, po: po}, nil
}

// sending is a send: done at once if eager, else once received.
type sending struct{ received *atomic.Bool }

func (s sending) Done() (bool, error) { return s.received == nil || s.received.Load(), nil }

func (m *messages) Send(dest int, data []byte) (rma.Sending, error) {
	if m.closed.Load() || m.w.closed.Load() {
		return nil, fmt.Errorf("rma/local: send: %w", rma.ErrClosed)
	}
	if dest < 0 || dest >= len(m.po.boxes) {
		return nil, fmt.Errorf("%w: send to rank %d of %d", rma.ErrInvalidRank, dest, len(m.po.boxes))
	}
	l := letter{src: m.w.rank, data: append([]byte(nil), data...)}
	if len(data) > eagerBytes {
		l.received = new(atomic.Bool)
	}
	b := &m.po.boxes[dest]
	b.mu.Lock()
	b.mail = append(b.mail, l)
	b.mu.Unlock()
	return sending{received: l.received}, nil
}

// arrival is the letter at the head of a box, taken off it by Probe.
type arrival struct{ l letter }

func (a *arrival) Source() int { return a.l.src }
func (a *arrival) Len() int    { return len(a.l.data) }
func (a *arrival) Receive(dst []byte) error {
	if len(dst) != len(a.l.data) {
		return fmt.Errorf("%w: receive of a %d-byte message into %d bytes", rma.ErrInvalidArgument, len(a.l.data), len(dst))
	}
	copy(dst, a.l.data)
	if a.l.received != nil {
		a.l.received.Store(true)
	}
	return nil
}

func (m *messages) Probe() (rma.Arrival, bool, error) {
	if m.closed.Load() {
		return nil, false, fmt.Errorf("rma/local: probe: %w", rma.ErrClosed)
	}
	b := &m.po.boxes[m.w.rank]
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.mail) == 0 {
		return nil, false, nil
	}
	l := b.mail[0]
	b.mail[0] = letter{}
	b.mail = b.mail[1:]
	return &arrival{l: l}, true, nil
}

// Close is collective, as MPI_Comm_free is.
func (m *messages) Close(ctx context.Context) error {
	if m.closed.Swap(true) {
		return fmt.Errorf("rma/local: close messages: %w", rma.ErrClosed)
	}
	_, err := m.w.collective(ctx, nil)
	return err
}
