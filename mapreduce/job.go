package mapreduce

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/rma"
)

// ErrInput reports an input that cannot be read; the error names the file
// (and line) and the rank.
var ErrInput = errors.New("mapreduce: input")

// Pair is one key and its value.
type Pair[K cmp.Ordered, V any] struct {
	Key   K
	Value V
}

// Stats counts one rank's part of a job.
type Stats struct {
	Records      int64 // records mapped
	Emitted      int64 // pairs the mapper emitted
	Shuffled     int64 // pairs sent to reducers, after combining
	ShuffleBytes int64 // their encoded bytes
	Received     int64 // pairs this rank's reducer folded
	Keys         int64 // distinct keys in this rank's partition
}

// batch is what travels from a mapping rank to a reducing rank.
type batch[K cmp.Ordered, V any] struct {
	Keys []K
	Vals []V
}

// Run runs a map-reduce job; it is collective: every rank calls it with
// the same name, source, functions and options. Each rank maps its share
// of src: mapper gets one record and emits pairs. Pairs with equal keys are
// folded with fold, first on the mapping rank (the combiner) and then on
// the rank that owns the key (by WithPartitioner, a hash by default), so
// fold must be associative and commutative. Run returns once every pair is
// folded into its owner's partition.
//
// A mapper's error, or an input that cannot be read, fails Run on that
// rank, naming the rank and the record's place; under cluster.Run the
// whole job then ends.
func Run[I any, K cmp.Ordered, V any](ctx context.Context, c *cluster.Cluster, name string, src Source[I],
	mapper func(rec I, emit func(K, V)) error, fold func(a, b V) V, opts ...Option) (*Result[K, V], error) {
	if c == nil || src == nil || mapper == nil || fold == nil || name == "" {
		return nil, fmt.Errorf("%w: mapreduce.Run needs a cluster, a name, a source, a mapper and a fold", rma.ErrInvalidArgument)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	j := &job[K, V]{c: c, name: name, fold: fold, cfg: cfg, part: make(map[K]V), combine: make(map[K]V)}
	pid, err := c.System().SpawnNamed(actor.PropsFromFunc(j.receive), reducerName(name))
	if err != nil {
		return nil, fmt.Errorf("mapreduce %q: %w", name, err)
	}
	defer func() { _ = c.System().Root().StopFuture(pid).Wait() }()
	if err := c.Barrier(ctx); err != nil {
		return nil, fmt.Errorf("mapreduce %q: %w", name, err)
	}
	emit := func(k K, v V) {
		j.stats.Emitted++
		if old, ok := j.combine[k]; ok {
			j.combine[k] = fold(old, v)
			return
		}
		j.combine[k] = v
	}
	var mapErr error
	records, where := src.Records(ctx, c.Rank(), c.Size())
	for rec, err := range records {
		if err != nil {
			mapErr = fmt.Errorf("mapreduce %q: %w", name, err)
			break
		}
		j.stats.Records++
		if err := mapper(rec, emit); err != nil {
			mapErr = fmt.Errorf("mapreduce %q: mapper at %s: %w", name, where(), err)
			break
		}
		if len(j.combine) >= cfg.combineEntries {
			if err := j.shuffle(ctx); err != nil {
				mapErr = err
				break
			}
		}
	}
	if mapErr == nil {
		mapErr = j.shuffle(ctx)
	}
	if mapErr != nil {
		return nil, &rma.RankError{Rank: c.Rank(), Err: mapErr}
	}
	// Every rank has sent all its pairs; wait until they are all folded.
	if err := c.Quiesce(ctx); err != nil {
		return nil, fmt.Errorf("mapreduce %q: %w", name, err)
	}
	if bad := j.bad.Load(); bad != nil {
		// A batch this rank could not fold: its pairs are not in the
		// partition, so the result would be wrong.
		return nil, &rma.RankError{Rank: c.Rank(), Err: *bad}
	}
	j.stats.Received = j.received.Load()
	j.stats.Keys = int64(len(j.part))
	return &Result[K, V]{c: c, name: name, part: j.part, stats: j.stats}, nil
}

func reducerName(name string) string { return "mapreduce." + name }

// job is one rank's state of a running job.
type job[K cmp.Ordered, V any] struct {
	c        *cluster.Cluster
	name     string
	fold     func(a, b V) V
	cfg      config
	combine  map[K]V // pairs mapped here and not yet sent
	part     map[K]V // this rank's partition, folded by the reducer actor
	stats    Stats
	received atomic.Int64
	bad      atomic.Pointer[error] // the first batch the reducer could not read
}

// shuffle sends the combined pairs to their owners, in batches.
func (j *job[K, V]) shuffle(ctx context.Context) error {
	if len(j.combine) == 0 {
		return nil
	}
	size := j.c.Size()
	out := make([]batch[K, V], size)
	for k, v := range j.combine {
		r := j.cfg.partition(k, size)
		if r < 0 || r >= size {
			return fmt.Errorf("%w: mapreduce %q: the partitioner put key %v on rank %d of %d", rma.ErrInvalidArgument, j.name, k, r, size)
		}
		b := &out[r]
		b.Keys = append(b.Keys, k)
		b.Vals = append(b.Vals, v)
		if len(b.Keys) == j.cfg.batchPairs {
			if err := j.send(ctx, r, b); err != nil {
				return err
			}
			*b = batch[K, V]{}
		}
	}
	clear(j.combine)
	for r := range out {
		if len(out[r].Keys) > 0 {
			if err := j.send(ctx, r, &out[r]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (j *job[K, V]) send(ctx context.Context, rank int, b *batch[K, V]) error {
	msg, err := codec.AppendValue(nil, *b)
	if err != nil {
		return fmt.Errorf("mapreduce %q: %w", j.name, err)
	}
	j.stats.Shuffled += int64(len(b.Keys))
	j.stats.ShuffleBytes += int64(len(msg))
	if err := j.c.System().Send(ctx, actor.PIDOn(rank, reducerName(j.name)), msg); err != nil {
		return fmt.Errorf("mapreduce %q: shuffle to rank %d: %w", j.name, rank, err)
	}
	return nil
}

// receive is the rank's reducer: it folds every batch into the partition.
func (j *job[K, V]) receive(ctx actor.Context) {
	msg, ok := ctx.Message().([]byte)
	if !ok {
		return
	}
	b, err := codec.DecodeValue[batch[K, V]](msg)
	if err == nil && len(b.Keys) != len(b.Vals) {
		err = fmt.Errorf("%w: a batch of %d keys and %d values", codec.ErrDecode, len(b.Keys), len(b.Vals))
	}
	if err != nil {
		err = fmt.Errorf("mapreduce %q: reducer: %w", j.name, err)
		j.bad.CompareAndSwap(nil, &err)
		return
	}
	for i, k := range b.Keys {
		if old, ok := j.part[k]; ok {
			j.part[k] = j.fold(old, b.Vals[i])
		} else {
			j.part[k] = b.Vals[i]
		}
	}
	j.received.Add(int64(len(b.Keys)))
}
