package conveyor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

// Handler handles one value on its owner rank: from is the rank that sent
// it. Sends it makes with ctx never wait for room (see the package doc).
// An error stops this rank's handling of the Conveyor and is returned by
// Done on every rank.
type Handler[T any] func(ctx context.Context, from int, v T) error

// header is a batch's header: the sending rank and the number of values,
// 4 bytes each, little-endian; the values follow, aligned to 8 bytes.
const header = 8

// Conveyor is a typed mailbox on every rank (see the package doc). Its
// methods are safe for concurrent use.
type Conveyor[T any] struct {
	c      *cluster.Cluster
	sys    *actor.System
	name   string
	self   int
	lay    layout[T]
	batch  int // values per batch
	handle Handler[T]
	hctx   context.Context // what handlers get: sends that never wait
	ended  context.Context // an ended context: a send with it does not wait
	pids   []*actor.PID
	dests  []dest
	bufs   sync.Pool // *[]byte, each of batchBytes()
	stats  counters

	remove    func()
	flusher   *flusher
	closed    atomic.Bool
	closeOnce sync.Once

	errMu   sync.Mutex
	err     error // this rank's first handler (or batch) error
	sendErr error // the first error of a timer's send, for Flush and Done
}

// dest is the buffer of values for one rank.
type dest struct {
	mu  sync.Mutex
	buf *[]byte // nil while empty
	n   int
	_   [40]byte // its own cache line: ranks' buffers fill concurrently
}

type counters struct {
	sent, batchesSent, handled, batchesHandled, dropped atomic.Uint64
}

// Stats counts a Conveyor's traffic on this rank.
type Stats struct {
	Sent           uint64 // values this rank sent (shipped in batches)
	BatchesSent    uint64 // batches this rank sent
	Handled        uint64 // values this rank's handler got
	BatchesHandled uint64 // batches this rank handled
	Dropped        uint64 // values not handled after a handler error
}

// inHandler marks the ctx handlers get: their sends do not wait for room.
type inHandler struct{}

// NoWait returns ctx marked so that Sends with it never wait for room in
// the owner's mailbox: they queue, like sends inside actors. Use it to
// send from inside an actor's Receive (a conveyor's handler gets such a
// ctx already), where waiting for another actor could deadlock.
func NoWait(ctx context.Context) context.Context {
	return context.WithValue(ctx, inHandler{}, true)
}

// New makes the Conveyor name, collectively: every rank calls it with the
// same name, type and options, and it returns once every rank's handler is
// ready. handle runs on this rank's actor for the Conveyor, one value at a
// time (the handlers of different Conveyors may run at the same time).
func New[T any](ctx context.Context, c *cluster.Cluster, name string, handle Handler[T], opts ...Option) (*Conveyor[T], error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if handle == nil || name == "" {
		return nil, fmt.Errorf("%w: conveyor %q needs a name and a handler", rma.ErrInvalidArgument, name)
	}
	lay, err := newLayout[T](cfg.encoding)
	if err != nil {
		return nil, err
	}
	batch := cfg.batch
	if lay.stride > 0 {
		batch = max(1, min(batch, cfg.batchBytes/lay.stride))
	}
	cv := &Conveyor[T]{
		c: c, sys: c.System(), name: name, self: c.Rank(), lay: lay, batch: batch, handle: handle,
		pids: make([]*actor.PID, c.Size()), dests: make([]dest, c.Size()),
	}
	cv.hctx = NoWait(context.Background())
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	cv.ended = ended
	id := "conveyor:" + name
	for k := range cv.pids {
		cv.pids[k] = actor.PIDOn(k, id)
	}
	if _, err := cv.sys.SpawnNamed(actor.PropsFromFunc(cv.receive), id); err != nil {
		return nil, fmt.Errorf("conveyor %q: %w", name, err)
	}
	cv.flusher = newFlusher(cfg.delay, cv.flushIdle)
	cv.remove = cv.sys.AddHolder(cv)
	if err := c.Barrier(ctx); err != nil {
		cv.stop()
		return nil, fmt.Errorf("conveyor %q: %w", name, err)
	}
	return cv, nil
}

// Send sends v to the Conveyor's handler on rank: it copies v into this
// rank's buffer for that rank, and sends the buffer once it is full,
// waiting while that rank's mailbox is full (unless ctx is a handler's or
// comes from NoWait).
func (cv *Conveyor[T]) Send(ctx context.Context, rank int, v T) error {
	if uint(rank) >= uint(len(cv.dests)) {
		return fmt.Errorf("%w: conveyor %q: rank %d of %d", ErrInvalidRank, cv.name, rank, len(cv.dests))
	}
	d := &cv.dests[rank]
	d.mu.Lock()
	if d.buf == nil {
		if cv.closed.Load() {
			d.mu.Unlock()
			return fmt.Errorf("%w: conveyor %q", ErrClosed, cv.name)
		}
		d.buf = cv.getBuf()
		// Until it is sent, the buffer is a message in flight.
		cv.sys.Hold()
		cv.flusher.kick()
	}
	off := header + d.n*cv.lay.stride
	cv.lay.put((*d.buf)[off:off+cv.lay.stride], v)
	d.n++
	if d.n < cv.batch {
		d.mu.Unlock()
		return nil
	}
	err := cv.ship(ctx, rank, d)
	d.mu.Unlock()
	return err
}

// Flush sends every part-filled buffer of this rank now. It also returns
// the error of a send the timer made since the last Flush, if any.
func (cv *Conveyor[T]) Flush(ctx context.Context) error {
	cv.errMu.Lock()
	errs := []error{cv.sendErr}
	cv.sendErr = nil
	cv.errMu.Unlock()
	for k := range cv.dests {
		d := &cv.dests[k]
		d.mu.Lock()
		if d.buf != nil {
			errs = append(errs, cv.ship(ctx, k, d))
		}
		d.mu.Unlock()
	}
	return errors.Join(errs...)
}

// flushIdle is the timer's flush: it never waits for room, and leaves
// alone a buffer that a sender is filling (reporting it left).
func (cv *Conveyor[T]) flushIdle() (left bool) {
	for k := range cv.dests {
		d := &cv.dests[k]
		if !d.mu.TryLock() {
			left = true
			continue
		}
		if d.buf != nil {
			if err := cv.ship(cv.hctx, k, d); err != nil {
				cv.errMu.Lock()
				if cv.sendErr == nil {
					cv.sendErr = err
				}
				cv.errMu.Unlock()
			}
		}
		d.mu.Unlock()
	}
	return left
}

// ship sends d's buffer to rank as one batch; d.mu is held. The hold on
// the buffer ends after the send, whatever its outcome.
func (cv *Conveyor[T]) ship(ctx context.Context, rank int, d *dest) error {
	buf, n := d.buf, d.n
	d.buf, d.n = nil, 0
	defer cv.sys.Release()
	b := (*buf)[:header+n*cv.lay.stride]
	binary.LittleEndian.PutUint32(b[0:], uint32(cv.self))
	binary.LittleEndian.PutUint32(b[4:], uint32(n))
	wait := ctx.Value(inHandler{}) == nil
	sendCtx := ctx
	if !wait {
		sendCtx = cv.ended
	}
	err := cv.sys.Send(sendCtx, cv.pids[rank], b)
	if !wait && errors.Is(err, mailbox.ErrMailboxFull) {
		err = nil // queued: a handler does not wait for room
	}
	if rank != cv.self {
		// The bytes were copied out; on this rank the handler owns them.
		cv.bufs.Put(buf)
	}
	if err != nil {
		return fmt.Errorf("conveyor %q: send %d values to rank %d: %w", cv.name, n, rank, err)
	}
	cv.stats.sent.Add(uint64(n))
	cv.stats.batchesSent.Add(1)
	return nil
}

// getBuf returns a batch buffer, from the pool or new.
func (cv *Conveyor[T]) getBuf() *[]byte {
	size := header + cv.batch*cv.lay.stride
	if p, ok := cv.bufs.Get().(*[]byte); ok && cap(*p) >= size {
		*p = (*p)[:size]
		return p
	}
	b := make([]byte, size)
	return &b
}

// receive is the Conveyor's actor on this rank: it handles batches.
func (cv *Conveyor[T]) receive(ac actor.Context) {
	b, ok := ac.Message().([]byte)
	if !ok {
		return
	}
	if len(b) < header {
		cv.fail(fmt.Errorf("%w: conveyor %q: %d bytes", ErrBadBatch, cv.name, len(b)))
		return
	}
	from := int(binary.LittleEndian.Uint32(b[0:]))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if len(b) != header+n*cv.lay.stride || from >= len(cv.dests) {
		cv.fail(fmt.Errorf("%w: conveyor %q: %d bytes from rank %d for %d values of %d bytes", ErrBadBatch, cv.name, len(b), from, n, cv.lay.stride))
		return
	}
	cv.stats.batchesHandled.Add(1)
	if cv.failed() {
		cv.stats.dropped.Add(uint64(n))
		return
	}
	p := &b
	if !cv.lay.aligned(b[header:]) {
		p = cv.getBuf()
		copy(*p, b)
	}
	vals := (*p)[header : header+n*cv.lay.stride]
	stride := cv.lay.stride
	var v T
	for i := range n {
		cv.lay.get(vals[i*stride:(i+1)*stride], &v)
		if err := cv.handle(cv.hctx, from, v); err != nil {
			cv.stats.handled.Add(uint64(i + 1))
			cv.stats.dropped.Add(uint64(n - i - 1))
			cv.fail(fmt.Errorf("rank %d: %w", cv.self, err))
			return
		}
	}
	cv.stats.handled.Add(uint64(n))
	cv.bufs.Put(p)
}

func (cv *Conveyor[T]) fail(err error) {
	cv.errMu.Lock()
	defer cv.errMu.Unlock()
	if cv.err == nil {
		cv.err = err
	}
}

func (cv *Conveyor[T]) failed() bool {
	cv.errMu.Lock()
	defer cv.errMu.Unlock()
	return cv.err != nil
}

// Stats returns this rank's counts for the Conveyor.
func (cv *Conveyor[T]) Stats() Stats {
	return Stats{
		Sent: cv.stats.sent.Load(), BatchesSent: cv.stats.batchesSent.Load(),
		Handled: cv.stats.handled.Load(), BatchesHandled: cv.stats.batchesHandled.Load(),
		Dropped: cv.stats.dropped.Load(),
	}
}

// Done ends this rank's sending and waits, collectively, until every value
// sent anywhere has been handled (cluster.Quiesce: so everything else in
// flight is done too). It returns ErrHandler, on every rank, if a handler
// failed on any rank, with each failing rank's first error. After Done the
// Conveyor's Send fails with ErrClosed; Close releases it.
func (cv *Conveyor[T]) Done(ctx context.Context) error {
	if err := cv.Flush(ctx); err != nil {
		return err
	}
	if err := cv.c.Quiesce(ctx); err != nil {
		return fmt.Errorf("conveyor %q: %w", cv.name, err)
	}
	cv.closed.Store(true)
	cv.errMu.Lock()
	own := cv.err
	cv.errMu.Unlock()
	mine := ""
	if own != nil {
		mine = own.Error()
	}
	all, err := cluster.Gather(ctx, cv.c, mine)
	if err != nil {
		return fmt.Errorf("conveyor %q: %w", cv.name, err)
	}
	var failed []string
	for _, e := range all {
		if e != "" {
			failed = append(failed, e)
		}
	}
	verdict, err := cluster.Broadcast(ctx, cv.c, strings.Join(failed, "; "))
	if err != nil {
		return fmt.Errorf("conveyor %q: %w", cv.name, err)
	}
	if verdict == "" {
		return nil
	}
	if own != nil {
		// On a failing rank the handler's own error stays matchable.
		return fmt.Errorf("%w: conveyor %q: %s: %w", ErrHandler, cv.name, verdict, own)
	}
	return fmt.Errorf("%w: conveyor %q: %s", ErrHandler, cv.name, verdict)
}

// Close releases the Conveyor on this rank: its timer, its actor and its
// buffers. Values still buffered are sent first (call Done before to know
// they were handled). Close may be called more than once.
func (cv *Conveyor[T]) Close(ctx context.Context) error {
	var err error
	cv.closeOnce.Do(func() {
		cv.closed.Store(true)
		err = cv.Flush(ctx)
		cv.release()
	})
	return err
}

// stop releases what New made, after a failed New.
func (cv *Conveyor[T]) stop() { cv.closeOnce.Do(cv.release) }

func (cv *Conveyor[T]) release() {
	cv.closed.Store(true)
	cv.remove()
	cv.flusher.stop()
	cv.sys.Root().Stop(cv.pids[cv.self])
}
