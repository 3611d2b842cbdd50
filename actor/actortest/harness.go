package actortest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/rma"
)

// Names of the actors every rank of every case hosts.
const (
	collectorName = "collector"
	echoName      = "echo"
)

// idList carries actor ids of one rank to another rank's collector, in
// chunks small enough for one mailbox slot.
type idList struct {
	Key   string
	From  int
	First int
	Total int
	IDs   []string
}

// result is a finding sent to a collector.
type result struct {
	Key    string
	From   int
	Index  int
	Count  int64
	Values []int64
	Err    string
}

// token travels a ring of actors (Relay cases).
type token struct {
	ID     int64
	Origin int
	Hops   int // hops still to go
	Sum    int64
}

// Type names of the suite's registered types.
const (
	idListType = "actortest.idList"
	resultType = "actortest.result"
	tokenType  = "actortest.token"
)

// newCodec registers the suite's types, and extra.
func newCodec(extra ...codec.Option) (*codec.Codec, error) {
	opts := []codec.Option{
		codec.Type[*idList](idListType),
		codec.Type[*result](resultType),
		codec.Type[*token](tokenType),
	}
	return codec.New(append(opts, extra...)...)
}

// errClosedByCase is what a case's body returns when it has closed its
// rank's system itself.
var errClosedByCase = errors.New("the case closed its system")

func failf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// expectErr checks that err wraps want.
func expectErr(what string, err, want error) error {
	if !errors.Is(err, want) {
		return failf("%s: got error %v, want %v", what, err, want)
	}
	return nil
}

// rankEnv is one rank's part of a case: its world, its actor system, and
// what its collector received.
type rankEnv struct {
	ctx  context.Context
	w    rma.World
	sys  *actor.System
	box  *queue
	rank int
	size int
}

// program makes a case: every rank starts its system with the suite's
// codec and opts (later options win), runs body, and closes the system
// collectively if body succeeded. A rank that fails returns at once:
// the launcher ends the other ranks (local.Run cancels their ctx, an MPI
// job aborts).
func program(opts func(rank int) ([]actor.Option, error), body func(e *rankEnv) error) Program {
	return func(ctx context.Context, w rma.World) error {
		// The runtime logs warnings to stderr until this rank's program
		// returns: a rank that failed leaves its system unclosed, and its
		// goroutines would log the closed world's errors forever.
		var over atomic.Bool
		defer over.Store(true)
		logger := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
			zapcore.Lock(os.Stderr), zap.LevelEnablerFunc(func(l zapcore.Level) bool {
				return l >= zap.WarnLevel && !over.Load()
			})))
		c, err := newCodec()
		if err != nil {
			return err
		}
		// Same-rank messages are encoded too: a case meets on one rank
		// what it would across ranks.
		all := []actor.Option{actor.WithLogger(logger), actor.WithCodec(c), actor.WithEncodeLocal(true)}
		if opts != nil {
			more, err := opts(w.Rank())
			if err != nil {
				return err
			}
			all = append(all, more...)
		}
		e, err := start(ctx, w, all...)
		if err != nil {
			return err
		}
		if err := body(e); err != nil {
			if errors.Is(err, errClosedByCase) {
				return nil
			}
			return err
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return e.sys.Close(ctx)
	}
}

// start makes this rank's system, collector and echo, then waits for every
// rank to have them.
func start(ctx context.Context, w rma.World, opts ...actor.Option) (*rankEnv, error) {
	sys, err := actor.NewSystem(ctx, w, opts...)
	if err != nil {
		return nil, err
	}
	e := &rankEnv{ctx: ctx, w: w, sys: sys, box: newQueue(), rank: w.Rank(), size: w.Size()}
	if _, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if !isLifecycle(c.Message()) {
			e.box.push(c.Message())
		}
	}), collectorName); err != nil {
		return nil, err
	}
	if _, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if !isLifecycle(c.Message()) && c.Sender() != nil {
			c.Respond(c.Message())
		}
	}), echoName); err != nil {
		return nil, err
	}
	if err := w.Barrier(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

func isLifecycle(msg any) bool {
	switch msg.(type) {
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting, *actor.ReceiveTimeout:
		return true
	}
	return false
}

// collector is rank k's collector.
func collector(k int) *actor.PID { return actor.PIDOn(k, collectorName) }

// echo is rank k's echo.
func echo(k int) *actor.PID { return actor.PIDOn(k, echoName) }

// others are the ranks other than this one.
func (e *rankEnv) others() []int {
	var ks []int
	for k := range e.size {
		if k != e.rank {
			ks = append(ks, k)
		}
	}
	return ks
}

// recv takes the first message of type T that match accepts (nil accepts
// all) from this rank's collector, waiting until ctx ends.
func recv[T any](ctx context.Context, e *rankEnv, what string, match func(T) bool) (T, error) {
	m, err := e.box.take(ctx, what, func(m any) bool {
		v, ok := m.(T)
		return ok && (match == nil || match(v))
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return m.(T), nil
}

// recvResult takes the result with key from rank from (any rank if from
// is negative).
func (e *rankEnv) recvResult(key string, from int) (*result, error) {
	return recv(e.ctx, e, fmt.Sprintf("result %q from rank %d", key, from), func(r *result) bool {
		return r.Key == key && (from < 0 || r.From == from)
	})
}

// sendResult sends r, stamped with key and this rank, to rank k's
// collector.
func (e *rankEnv) sendResult(k int, key string, r *result) error {
	r.Key, r.From = key, e.rank
	return e.sys.Send(e.ctx, collector(k), r)
}

// gatherIDs sends this rank's actor ids under key to every other rank's
// collector and returns every rank's ids by rank, its own included. It is
// collective in effect: every rank must call it with the same key.
func (e *rankEnv) gatherIDs(key string, ids []string) ([][]string, error) {
	const budget = 240 // payload bytes per message, well under a slot
	var chunks []*idList
	cur := &idList{Key: key, From: e.rank, Total: len(ids)}
	size := 0
	for i, id := range ids {
		if size+len(id)+2 > budget && len(cur.IDs) > 0 {
			chunks = append(chunks, cur)
			cur = &idList{Key: key, From: e.rank, Total: len(ids), First: i}
			size = 0
		}
		cur.IDs = append(cur.IDs, id)
		size += len(id) + 2
	}
	chunks = append(chunks, cur)
	for _, k := range e.others() {
		for _, c := range chunks {
			if err := e.sys.Send(e.ctx, collector(k), c); err != nil {
				return nil, fmt.Errorf("sending ids %q to rank %d: %w", key, k, err)
			}
		}
	}
	all := make([][]string, e.size)
	all[e.rank] = ids
	for _, k := range e.others() {
		got := 0
		for {
			l, err := recv(e.ctx, e, fmt.Sprintf("ids %q from rank %d", key, k), func(l *idList) bool {
				return l.Key == key && l.From == k
			})
			if err != nil {
				return nil, err
			}
			if all[k] == nil {
				all[k] = make([]string, l.Total)
			}
			if l.Total != len(all[k]) || l.First < 0 || l.First+len(l.IDs) > l.Total {
				return nil, failf("ids %q from rank %d: chunk %d+%d of %d, expected %d in all",
					key, k, l.First, len(l.IDs), l.Total, len(all[k]))
			}
			for i, id := range l.IDs {
				if all[k][l.First+i] != "" {
					return nil, failf("ids %q from rank %d: id %d twice", key, k, l.First+i)
				}
				all[k][l.First+i] = id
			}
			got += len(l.IDs)
			if got == l.Total {
				break
			}
		}
	}
	return all, nil
}

// pidsOf turns gathered ids into PIDs.
func pidsOf(all [][]string) [][]*actor.PID {
	out := make([][]*actor.PID, len(all))
	for k, ids := range all {
		for _, id := range ids {
			out[k] = append(out[k], actor.PIDOn(k, id))
		}
	}
	return out
}

// samePID compares address and id (not the request id).
func samePID(a, b *actor.PID) bool {
	return a != nil && b != nil && a.Address == b.Address && a.Id == b.Id
}

func pidString(p *actor.PID) string {
	if p == nil {
		return "<nil>"
	}
	return p.Address + "/" + p.Id
}

// awaitFuture waits for a protoactor future until ctx ends.
func awaitFuture(ctx context.Context, f *actor.Future) (any, error) {
	type res struct {
		v   any
		err error
	}
	ch := make(chan res, 1)
	go func() {
		v, err := f.Result()
		ch <- res{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for future %s: %w", pidString(f.PID()), ctx.Err())
	}
}

// requestFast requests pid and expects a failure wrapping want within
// limit (ctx of 10 s).
func (e *rankEnv) requestFast(what string, pid *actor.PID, msg any, want error, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	v, err := e.sys.Request(ctx, pid, msg)
	took := time.Since(start)
	if err == nil {
		return failf("%s: request to %s answered a %T, want an error wrapping %v", what, pidString(pid), v, want)
	}
	if err := expectErr(what, err, want); err != nil {
		return err
	}
	if took > limit {
		return failf("%s: request to %s failed after %v, want under %v: %v", what, pidString(pid), took, limit, err)
	}
	// The same through a protoactor future and actor.Result.
	start = time.Now()
	v, err = actor.Result(e.sys.Root().RequestFuture(pid, msg, 10*time.Second))
	took = time.Since(start)
	if err == nil {
		return failf("%s: RequestFuture to %s answered a %T, want an error wrapping %v", what, pidString(pid), v, want)
	}
	if err := expectErr(what+" (RequestFuture)", err, want); err != nil {
		return err
	}
	if took > limit {
		return failf("%s: RequestFuture to %s failed after %v, want under %v: %v", what, pidString(pid), took, limit, err)
	}
	return nil
}

// queue is a collector's messages: pushed by the actor, taken by the
// rank's program, in order, skipping those the taker does not want yet.
type queue struct {
	mu    sync.Mutex
	items []any
	ready chan struct{}
}

func newQueue() *queue { return &queue{ready: make(chan struct{}, 1)} }

func (q *queue) push(m any) {
	q.mu.Lock()
	q.items = append(q.items, m)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *queue) take(ctx context.Context, what string, match func(any) bool) (any, error) {
	for {
		q.mu.Lock()
		for i, m := range q.items {
			if match(m) {
				q.items = append(q.items[:i], q.items[i+1:]...)
				q.mu.Unlock()
				return m, nil
			}
		}
		held := len(q.items)
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s (the collector holds %d other messages): %w", what, held, ctx.Err())
		}
	}
}

// deadLetters records the dead letters published on a rank's event stream
// that match.
type deadLetters struct {
	stop   func() // unsubscribes
	mu     sync.Mutex
	events []*actor.DeadLetterEvent
	ready  chan struct{}
}

func watchDeadLetters(sys *actor.System, match func(*actor.DeadLetterEvent) bool) *deadLetters {
	d := &deadLetters{ready: make(chan struct{}, 1)}
	es := sys.ActorSystem().EventStream
	sub := es.Subscribe(func(evt any) {
		ev, ok := evt.(*actor.DeadLetterEvent)
		if !ok || !match(ev) {
			return
		}
		d.mu.Lock()
		d.events = append(d.events, ev)
		d.mu.Unlock()
		select {
		case d.ready <- struct{}{}:
		default:
		}
	})
	d.stop = func() { es.Unsubscribe(sub) }
	return d
}

func (d *deadLetters) snapshot() []*actor.DeadLetterEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*actor.DeadLetterEvent(nil), d.events...)
}

// wait waits until at least n dead letters matched.
func (d *deadLetters) wait(ctx context.Context, what string, n int) ([]*actor.DeadLetterEvent, error) {
	for {
		evs := d.snapshot()
		if len(evs) >= n {
			return evs, nil
		}
		select {
		case <-d.ready:
		case <-ctx.Done():
			return evs, fmt.Errorf("waiting for %d dead letter(s) of %s, have %d: %w", n, what, len(evs), ctx.Err())
		}
	}
}
