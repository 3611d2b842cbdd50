package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/rmactor/rmactor/actor"
)

// Collectives travel as actor messages to each rank's collector, with the
// collective's sequence number and the sending rank in the message header.
// Every rank calls collectives in the same order (SPMD), so the sequence
// numbers agree without any exchange. Values are whatever the job's codec
// encodes: protobuf messages, the codec's built-in Go types and the types
// registered in Config.Types (see the package doc), each in one message of
// at most the transport's maximum size.
const (
	collectorName = "cluster:collect"
	headerSeq     = "rmactor-collective"
	headerFrom    = "rmactor-from"
)

// round is one collective as this rank sees it: the values that have
// arrived, by sending rank.
type round struct {
	values []any
	got    int
	want   int
	done   chan struct{}
}

func (c *Cluster) roundOf(seq uint64) *round {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.rounds[seq]
	if !ok {
		r = &round{values: make([]any, c.Size()), done: make(chan struct{}), want: -1}
		c.rounds[seq] = r
	}
	return r
}

// collect is the collector actor's receive function.
func (c *Cluster) collect(ctx actor.Context) {
	h := ctx.MessageHeader()
	if h == nil || h.Get(headerSeq) == "" {
		return
	}
	seq, err1 := strconv.ParseUint(h.Get(headerSeq), 10, 64)
	from, err2 := strconv.Atoi(h.Get(headerFrom))
	if err1 != nil || err2 != nil || from < 0 || from >= c.Size() {
		c.sys.Logger().Sugar().Warnf("cluster: collective message with a bad header %v", h.ToMap())
		return
	}
	r := c.roundOf(seq)
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.values[from] == nil {
		r.got++
	}
	r.values[from] = ctx.Message()
	if r.want >= 0 && r.got == r.want {
		close(r.done)
	}
}

// expect waits until want values of round seq arrived and returns them.
func (c *Cluster) expect(ctx context.Context, seq uint64, want int) ([]any, error) {
	r := c.roundOf(seq)
	c.mu.Lock()
	r.want = want
	if r.got == want {
		close(r.done)
	}
	c.mu.Unlock()
	select {
	case <-r.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("cluster: collective %d: %w", seq, ctx.Err())
	}
	c.mu.Lock()
	delete(c.rounds, seq)
	c.mu.Unlock()
	return r.values, nil
}

func (c *Cluster) post(ctx context.Context, to int, seq uint64, v any) error {
	env := &actor.MessageEnvelope{
		Header:  map[string]string{headerSeq: strconv.FormatUint(seq, 10), headerFrom: strconv.Itoa(c.Rank())},
		Message: v,
	}
	return c.sys.Send(ctx, actor.PIDOn(to, collectorName), env)
}

// Broadcast returns rank 0's v on every rank. Other ranks' v is ignored.
//
// v must be a value the job's codec encodes (see the package doc): a
// protobuf message, a built-in Go type such as int, []float64 or
// map[string]int, or a type registered in Config.Types; it is sent as one
// message to each other rank, so its encoding must fit the transport's
// maximum message size (actor.WithMaxMessageBytes, 256 MiB by default), or
// rank 0 fails with actor.ErrMessageTooLarge (codec.ErrUnknownType for a
// value it cannot encode). Every rank must call it, in the same order as the
// other collectives; after an error the ranks are out of step, and the
// program should return the error.
func Broadcast[T any](ctx context.Context, c *Cluster, v T) (T, error) {
	seq := c.seq.Add(1)
	var zero T
	if c.Rank() == 0 {
		for k := 1; k < c.Size(); k++ {
			if err := c.post(ctx, k, seq, v); err != nil {
				return zero, err
			}
		}
		return v, nil
	}
	values, err := c.expect(ctx, seq, 1)
	if err != nil {
		return zero, err
	}
	return typed[T](values[0], "broadcast")
}

// Gather returns every rank's v, in rank order, on rank 0; other ranks get
// nil.
//
// v must be a value the job's codec encodes, of the same type T on every
// rank, as for Broadcast: each rank but 0 sends its v as one message, whose
// encoding must fit the transport's maximum message size
// (actor.WithMaxMessageBytes, 256 MiB by default), or that rank fails with
// actor.ErrMessageTooLarge. Rank 0 holds every rank's value at once.
func Gather[T any](ctx context.Context, c *Cluster, v T) ([]T, error) {
	seq := c.seq.Add(1)
	if c.Rank() != 0 {
		return nil, c.post(ctx, 0, seq, v)
	}
	values, err := c.expect(ctx, seq, c.Size()-1)
	if err != nil {
		return nil, err
	}
	out := make([]T, c.Size())
	out[0] = v
	for k := 1; k < c.Size(); k++ {
		if out[k], err = typed[T](values[k], "gather"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Reduce folds every rank's v with op, in rank order, on rank 0; other
// ranks get their own v back.
//
// It is a Gather followed by the fold on rank 0, so v may be any value
// Gather takes, of any size up to the transport's maximum message.
func Reduce[T any](ctx context.Context, c *Cluster, v T, op func(a, b T) T) (T, error) {
	all, err := Gather(ctx, c, v)
	if err != nil || c.Rank() != 0 {
		return v, err
	}
	acc := all[0]
	for _, x := range all[1:] {
		acc = op(acc, x)
	}
	return acc, nil
}

// ErrValueType reports a collective whose ranks disagree on the value's
// type: a rank got a value of another type than it asked for.
var ErrValueType = errors.New("cluster: collective value of another type")

func typed[T any](v any, op string) (T, error) {
	t, ok := v.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("%w: %s got %T, want %T", ErrValueType, op, v, zero)
	}
	return t, nil
}
