package farm

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"go.uber.org/zap"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/codec"
)

// Result statuses on the wire.
const (
	statusPanic     = 2
	statusTimeout   = 3
	statusCancelled = 4
)

// receive is the rank's pool actor: it queues chunks of tasks for the
// workers, cancels chunks, and hands results back to their submitters.
func (f *Farm[T, R]) receive(ctx actor.Context) {
	b, ok := ctx.Message().([]byte)
	if !ok {
		return
	}
	h, err := parseHeader(b)
	if err != nil {
		f.sys.Logger().Error("farm: dropped a message", zap.String("farm", f.name), zap.Error(err))
		return
	}
	switch h.kind {
	case kindTasks:
		c := chunk{from: h.from, first: h.first, tasks: make([][]byte, 0, h.n)}
		rest := h.rest
		for range h.n {
			var item []byte
			if _, item, rest, err = nextItem(rest, false); err != nil {
				break
			}
			c.tasks = append(c.tasks, item)
		}
		if err != nil || len(c.tasks) != h.n {
			// Answer what cannot be read, so that its submitter
			// does not wait for ever.
			f.sys.Logger().Error("farm: malformed chunk", zap.String("farm", f.name), zap.Error(err))
			f.reply(c.from, c.first, h.n, statusError, fmt.Sprintf("malformed chunk: %v", err))
			return
		}
		f.work.push(c)
	case kindCancel:
		key := chunkKey{h.from, h.first}
		if c, ok := f.work.remove(key); ok {
			f.reply(c.from, c.first, len(c.tasks), statusCancelled, "cancelled before it ran")
		} else if cancel, ok := f.running.Load(key); ok {
			cancel.(context.CancelFunc)()
		}
	case kindResults:
		f.answer(h)
	}
}

// reply answers a whole chunk with one status.
func (f *Farm[T, R]) reply(to int, first uint64, n int, status byte, msg string) {
	out := appendResultsHeader(nil, first, n)
	for range n {
		out = appendItem(out, int(status), []byte(msg))
	}
	f.sendTo(to, out)
}

func (f *Farm[T, R]) sendTo(rank int, msg []byte) {
	if err := f.sys.Send(context.WithoutCancel(f.life), f.pools[rank], msg); err != nil {
		f.sys.Logger().Error("farm: send failed", zap.String("farm", f.name), zap.Int("to", rank), zap.Error(err))
	}
}

// worker runs chunks until the farm closes.
func (f *Farm[T, R]) worker() {
	defer f.wg.Done()
	for {
		c, ok := f.work.pop()
		if !ok {
			return
		}
		f.runChunk(c)
	}
}

func (f *Farm[T, R]) runChunk(c chunk) {
	ctx, cancel := context.WithCancel(f.life)
	key := chunkKey{c.from, c.first}
	f.running.Store(key, cancel)
	hint := int(min(f.resultBytes.Load(), 64<<20))
	out := appendResultsHeader(make([]byte, 0, 32+len(c.tasks)*(hint+8)), c.first, len(c.tasks))
	for _, t := range c.tasks {
		status, payload := f.runTask(ctx, t)
		out = appendItem(out, int(status), payload)
	}
	f.running.Delete(key)
	cancel()
	f.sendTo(c.from, out)
}

// runTask runs one encoded task and returns its status and its encoded
// result (or the failure's text).
func (f *Farm[T, R]) runTask(ctx context.Context, task []byte) (status byte, payload []byte) {
	if ctx.Err() != nil {
		return statusCancelled, []byte("cancelled before it ran")
	}
	v, err := codec.DecodeValue[T](task)
	if err != nil {
		return statusError, []byte(err.Error())
	}
	tctx := ctx
	if f.cfg.timeout > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(ctx, f.cfg.timeout)
		defer cancel()
	}
	r, err, panicked := f.call(tctx, v)
	switch {
	case panicked != "":
		return statusPanic, []byte(panicked)
	case f.cfg.timeout > 0 && errors.Is(tctx.Err(), context.DeadlineExceeded):
		// Whatever it returned, it ran past its time.
		return statusTimeout, []byte(fmt.Sprintf("ran longer than %v", f.cfg.timeout))
	case err != nil && ctx.Err() != nil:
		return statusCancelled, []byte(err.Error())
	case err != nil:
		return statusError, []byte(err.Error())
	}
	enc, err := codec.AppendValue(make([]byte, 0, int(min(f.resultBytes.Load(), 64<<20))+64), r)
	if err != nil {
		return statusError, []byte(err.Error())
	}
	f.resultBytes.Store(int64(len(enc)))
	return statusOK, enc
}

// call runs fn, turning a panic into its text and stack.
func (f *Farm[T, R]) call(ctx context.Context, v T) (r R, err error, panicked string) {
	defer func() {
		if p := recover(); p != nil {
			panicked = fmt.Sprintf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	r, err = f.fn(ctx, v)
	return r, err, ""
}

// answer hands a chunk's results to whoever waits for them.
func (f *Farm[T, R]) answer(h header) {
	f.mu.Lock()
	p := f.pending[h.first]
	if p != nil {
		delete(f.pending, h.first)
		f.free[p.rank]++
		close(f.changed)
		f.changed = make(chan struct{})
	}
	f.mu.Unlock()
	if p == nil {
		f.sys.Logger().Error("farm: results for no chunk", zap.String("farm", f.name), zap.Uint64("first", h.first))
		return
	}
	rest := h.rest
	for i := range p.n {
		status, item, tail, err := nextItem(rest, true)
		if err != nil || i >= h.n {
			status, item = statusError, []byte(fmt.Sprintf("malformed results: %v", err))
		} else {
			rest = tail
		}
		p.deliver(p.rank, i, item, status)
	}
}

// result turns a task's status and payload into its result or TaskError.
func (f *Farm[T, R]) result(rank int, payload []byte, status byte) (R, error) {
	var zero R
	var kind error
	switch status {
	case statusOK:
		r, err := codec.DecodeValue[R](payload)
		if err != nil {
			f.failed.Add(1)
			return zero, &TaskError{Rank: rank, Msg: err.Error()}
		}
		return r, nil
	case statusPanic:
		kind = ErrPanic
	case statusTimeout:
		kind = ErrTimeout
	case statusCancelled:
		kind = ErrCancelled
	}
	f.failed.Add(1)
	return zero, &TaskError{Rank: rank, Msg: string(payload), Kind: kind}
}
