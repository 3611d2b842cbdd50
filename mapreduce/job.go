package mapreduce

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

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

// batch is what travels from a mapping rank to a reducing rank, and a
// chunk of a spill file.
type batch[K cmp.Ordered, V any] struct {
	Keys []K
	Vals []V
}

// Run runs a map-reduce job whose reduce is a fold; it is collective:
// every rank calls it with the same name, source, functions and options.
// Each rank maps its share of src: mapper gets one record and emits pairs.
// Pairs with equal keys are folded with fold, first on the mapping rank
// (the combiner) and then on the rank that owns the key (by
// WithPartitioner, a hash by default), so fold must be associative and
// commutative. Run returns once every pair is folded into its owner's
// partition. A partition larger than the rank's share of WithMemory is
// spilled to disk in sorted runs and merged at the end.
//
// A mapper's error, or an input that cannot be read, fails Run on that
// rank, naming the rank and the record's place; under cluster.Run the
// whole job then ends.
func Run[I any, K cmp.Ordered, V any](ctx context.Context, c *cluster.Cluster, name string, src Source[I],
	mapper func(rec I, emit func(K, V)) error, fold func(a, b V) V, opts ...Option) (*Result[K, V], error) {
	if fold == nil {
		return nil, fmt.Errorf("%w: mapreduce.Run needs a fold", rma.ErrInvalidArgument)
	}
	j, err := newJob[K, V](c, name, src, mapper, fold, opts)
	if err != nil {
		return nil, err
	}
	store := &foldStore[K, V]{mem: newCombiner[K, V](), budget: j.cfg.memory / 2, fold: fold, sz: j.sz, sp: j.sp}
	if err := runPhases(ctx, j, src, mapper, store); err != nil {
		return nil, err
	}
	t, err := store.finish()
	return newResult(j, t, err)
}

// Reduce runs a map-reduce job whose reducer sees every value of a key;
// it is collective, as Run. Pairs are not combined: each goes to the rank
// that owns its key, which keeps them (spilling sorted runs to disk past
// its share of WithMemory). Once every rank has mapped its share, each
// rank calls reduce once per key it owns, in key order, with an iterator
// over all the key's values (in no set order; read from disk as it goes,
// so a key may have more values than memory holds), and keeps what reduce
// returns as the key's result. reduce's error fails the job on that rank,
// naming the key.
func Reduce[I any, K cmp.Ordered, V, R any](ctx context.Context, c *cluster.Cluster, name string, src Source[I],
	mapper func(rec I, emit func(K, V)) error, reduce func(key K, values iter.Seq[V]) (R, error), opts ...Option) (*Result[K, R], error) {
	if reduce == nil {
		return nil, fmt.Errorf("%w: mapreduce.Reduce needs a reduce function", rma.ErrInvalidArgument)
	}
	j, err := newJob[K, V](c, name, src, mapper, nil, opts)
	if err != nil {
		return nil, err
	}
	store := &groupStore[K, V]{budget: j.cfg.memory / 2, sz: j.sz, sp: j.sp}
	if err := runPhases(ctx, j, src, mapper, store); err != nil {
		return nil, err
	}
	rs := newSizes[K, R]()
	out := &tableBuilder[K, R]{sp: j.sp, budget: j.cfg.memory / 2, size: func(k K, r R) int { return rs.pair(k, r) + 16 }}
	if err := groups(store, reduce, out); err != nil {
		out.abort()
		return newResult[K, V, R](j, nil, err)
	}
	t, err := out.finish()
	return newResult(j, t, err)
}

func reducerName(name string) string { return "mapreduce." + name }

// sink is where a reducer puts the pairs it receives.
type sink[K cmp.Ordered, V any] interface {
	add(k K, v V) error
}

// adopter is a sink that can take a whole combine table as its partition.
type adopter[K cmp.Ordered, V any] interface {
	adopt(c *combiner[K, V]) bool
}

// job is one rank's state of a running job.
type job[K cmp.Ordered, V any] struct {
	c       *cluster.Cluster
	name    string
	fold    func(a, b V) V // nil for a per-key reduce: no combiner
	cfg     config
	part    func(K, int) int // the key's rank
	sz      sizes[K, V]
	sp      *spiller
	combine combiner[K, V] // pairs mapped here and not yet sent (with a fold)
	out     []outBatch[K, V]
	arena   keyArena        // emitDirect's copies of string keys
	emitErr error           // the first error of an emit (a partitioner out of range, a send)
	ctx     context.Context // the job's, while mapping: where emitDirect's sends wait
	stats   Stats
	last    time.Time // the last progress report

	sinkMu   sync.Mutex // the reducer actor and this rank's own shuffle both add to the sink
	sink     sink[K, V]
	received atomic.Int64
	bad      atomic.Pointer[error] // the first batch the reducer could not take
	pairs    *pairShuffle[K, V]    // the conveyor shuffle, for keys and values of fixed shape
}

// outBatch is pairs bound for one rank, not yet sent.
type outBatch[K cmp.Ordered, V any] struct {
	b     batch[K, V]
	bytes int
}

func newJob[K cmp.Ordered, V any, I any](c *cluster.Cluster, name string, src Source[I], mapper func(I, func(K, V)) error,
	fold func(a, b V) V, opts []Option) (*job[K, V], error) {
	if c == nil || src == nil || mapper == nil || name == "" {
		return nil, fmt.Errorf("%w: a mapreduce job needs a cluster, a name, a source and a mapper", rma.ErrInvalidArgument)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	part, err := partitioner[K](cfg)
	if err != nil {
		return nil, err
	}
	j := &job[K, V]{c: c, name: name, fold: fold, cfg: cfg, part: part, sz: newSizes[K, V](),
		sp: newSpiller(cfg.tempDir, name, c.Rank()), out: make([]outBatch[K, V], c.Size())}
	if fold != nil {
		j.combine = newCombiner[K, V]()
		j.combine.own = true
	}
	// Every pair this rank keeps for itself skips the codec, so check here,
	// on every rank alike, that the types can cross ranks.
	var zk K
	var zv V
	if _, err := codec.AppendValue(nil, batch[K, V]{Keys: []K{zk}, Vals: []V{zv}}); err != nil {
		return nil, fmt.Errorf("mapreduce %q: %w", name, err)
	}
	return j, nil
}

// runPhases maps this rank's share, shuffles it, and waits until every
// rank's pairs are in their owners' sinks. On an error it removes the
// spill directory.
func runPhases[I any, K cmp.Ordered, V any](ctx context.Context, j *job[K, V], src Source[I],
	mapper func(I, func(K, V)) error, s sink[K, V]) (err error) {
	defer func() {
		if err != nil {
			_ = j.sp.remove()
			err = &rma.RankError{Rank: j.c.Rank(), Err: fmt.Errorf("mapreduce %q: %w", j.name, err)}
		}
	}()
	j.sink, j.ctx = s, ctx
	defer func() { j.ctx = nil }()
	pid, err := j.c.System().SpawnNamed(actor.PropsFromFunc(j.receive), reducerName(j.name))
	if err != nil {
		return err
	}
	// The reducer stops before the spill directory can be removed.
	defer func() { _ = j.c.System().Root().StopFuture(pid).Wait() }()
	if useConveyor[K, V]() && !j.cfg.codecShuffle {
		// Collective, as the barrier below.
		if err := j.startPairs(ctx); err != nil {
			return err
		}
		defer func() { _ = j.pairs.cv.Close(ctx) }()
	} else if err := j.c.Barrier(ctx); err != nil {
		return err
	}
	j.last = time.Now()
	emit := j.emitDirect
	if j.fold != nil {
		emit = j.emitCombined
	}
	records, where := src.Records(ctx, j.c.Rank(), j.c.Size())
	for rec, err := range records {
		if err != nil {
			return err
		}
		j.stats.Records++
		j.stats.Bytes += recordBytes(&rec)
		if err := mapper(rec, emit); err != nil {
			return fmt.Errorf("mapper at %s: %w", where(), err)
		}
		if j.emitErr != nil {
			return fmt.Errorf("at %s: %w", where(), j.emitErr)
		}
		if j.fold != nil && (j.combine.len() >= j.cfg.combineEntries || j.combine.bytes > j.combineLimit()) {
			if err := j.shuffle(ctx); err != nil {
				return err
			}
		}
		if j.cfg.progress != nil && j.stats.Records%1024 == 0 && time.Since(j.last) >= j.cfg.every {
			j.report()
		}
	}
	if err := j.shuffle(ctx); err != nil {
		return err
	}
	for r := range j.out {
		if err := j.send(ctx, r); err != nil {
			return err
		}
	}
	// Every rank has sent all its pairs; wait until they are all taken.
	if j.pairs != nil {
		if err := j.donePairs(ctx); err != nil {
			return err
		}
	} else if err := j.c.Quiesce(ctx); err != nil {
		return err
	}
	if bad := j.bad.Load(); bad != nil {
		// A batch this rank could not take: its pairs are not in the
		// partition, so the result would be wrong.
		return *bad
	}
	j.stats.Received = j.received.Load()
	return nil
}

// combineLimit is the estimated bytes the combiner holds before it ships
// its table. On one rank the table becomes the partition (adopt), so it
// grows to a quarter of the budget; on several, it is shipped every
// combineShare bytes, so owners fold while mappers map and the table stays
// near the cache (on Go's source tree at 2 ranks, 8 MiB ran 1.2× faster
// than 128 MiB).
func (j *job[K, V]) combineLimit() int64 {
	if j.c.Size() == 1 {
		return j.cfg.memory / 4
	}
	return min(j.cfg.memory/4, combineShare)
}

// combineShare is combineLimit on more than one rank.
const combineShare = 8 << 20

// recordBytes is a text record's length (with its newline), for the
// progress counters; 0 for other records.
func recordBytes[I any](rec *I) int64 {
	switch r := any(rec).(type) {
	case *[]byte:
		return int64(len(*r)) + 1
	case *Line:
		return int64(len(r.Text)) + 1
	case *string:
		return int64(len(*r))
	}
	return 0
}

func (j *job[K, V]) report() {
	j.last = time.Now()
	files, bytes := j.sp.counts()
	s := j.stats
	s.Received, s.Spills, s.SpillBytes = j.received.Load(), files, bytes
	j.cfg.progress(s)
}

// emitCombined folds a pair into the combine table.
func (j *job[K, V]) emitCombined(k K, v V) {
	j.stats.Emitted++
	j.combine.add(k, v, j.fold, j.sz)
}

// emitDirect adds a pair to its owner's batch, sending the batch when it
// is full.
func (j *job[K, V]) emitDirect(k K, v V) {
	j.stats.Emitted++
	if j.emitErr == nil {
		j.emitErr = j.add(j.ctx, keep(&j.arena, j.sz.k.str, k), v)
	}
}

// add adds a pair to its owner's batch, sending the batch when it holds
// WithBatchPairs pairs or WithBatchBytes bytes.
func (j *job[K, V]) add(ctx context.Context, k K, v V) error {
	size := j.c.Size()
	r := j.part(k, size)
	if r < 0 || r >= size {
		return fmt.Errorf("%w: the partitioner put key %v on rank %d of %d", rma.ErrInvalidArgument, k, r, size)
	}
	if j.pairs != nil && r != j.c.Rank() {
		return j.sendPair(ctx, r, k, v)
	}
	o := &j.out[r]
	o.b.Keys = append(o.b.Keys, k)
	o.b.Vals = append(o.b.Vals, v)
	o.bytes += j.sz.pair(k, v)
	if len(o.b.Keys) >= j.cfg.batchPairs || o.bytes >= j.cfg.batchBytes {
		return j.send(ctx, r)
	}
	return nil
}

// shuffle moves the combine table into the batches, sending the full ones.
// On one rank, an empty partition takes the whole table as it is.
func (j *job[K, V]) shuffle(ctx context.Context) error {
	if a, ok := j.sink.(adopter[K, V]); ok && j.c.Size() == 1 && j.combine.len() > 0 {
		j.sinkMu.Lock()
		took := a.adopt(&j.combine)
		j.sinkMu.Unlock()
		if took {
			n := int64(j.combine.len())
			j.stats.Shuffled += n
			j.received.Add(n)
			j.combine = newCombiner[K, V]()
			j.combine.own = true
			return nil
		}
	}
	for i, k := range j.combine.keys {
		if err := j.add(ctx, k, j.combine.vals[i]); err != nil {
			return err
		}
	}
	j.combine.reset()
	return nil
}

// send sends rank's batch, if it holds any pairs; pairs for this rank go
// into its sink without the codec.
func (j *job[K, V]) send(ctx context.Context, rank int) error {
	o := &j.out[rank]
	if len(o.b.Keys) == 0 {
		return nil
	}
	if rank == j.c.Rank() {
		j.stats.Shuffled += int64(len(o.b.Keys))
		err := j.take(o.b)
		clear(o.b.Keys)
		clear(o.b.Vals)
		o.b.Keys, o.b.Vals, o.bytes = o.b.Keys[:0], o.b.Vals[:0], 0
		return err
	}
	msg, err := codec.AppendValue(nil, o.b)
	if err != nil {
		return err
	}
	j.stats.Shuffled += int64(len(o.b.Keys))
	j.stats.ShuffleBytes += int64(len(msg))
	clear(o.b.Keys)
	clear(o.b.Vals)
	o.b.Keys, o.b.Vals, o.bytes = o.b.Keys[:0], o.b.Vals[:0], 0
	if err := j.c.System().Send(ctx, actor.PIDOn(rank, reducerName(j.name)), msg); err != nil {
		return fmt.Errorf("shuffle to rank %d: %w", rank, err)
	}
	return nil
}

// receive is the rank's reducer: it puts every batch into the sink.
func (j *job[K, V]) receive(ctx actor.Context) {
	msg, ok := ctx.Message().([]byte)
	if !ok || j.bad.Load() != nil {
		return
	}
	b, err := codec.DecodeValue[batch[K, V]](msg)
	if err == nil && len(b.Keys) != len(b.Vals) {
		err = fmt.Errorf("%w: a batch of %d keys and %d values", codec.ErrDecode, len(b.Keys), len(b.Vals))
	}
	if err == nil {
		err = j.take(b)
	}
	if err != nil {
		err = fmt.Errorf("reducer: %w", err)
		j.bad.CompareAndSwap(nil, &err)
	}
}

// take puts a batch's pairs into the sink.
func (j *job[K, V]) take(b batch[K, V]) error {
	j.sinkMu.Lock()
	defer j.sinkMu.Unlock()
	for i, k := range b.Keys {
		if err := j.sink.add(k, b.Vals[i]); err != nil {
			return err
		}
	}
	j.received.Add(int64(len(b.Keys)))
	return nil
}

// newResult makes a job's Result from its table, or fails the job (and
// removes its spill directory).
func newResult[K cmp.Ordered, V, R any](j *job[K, V], t *table[K, R], err error) (*Result[K, R], error) {
	if err != nil {
		_ = j.sp.remove()
		return nil, &rma.RankError{Rank: j.c.Rank(), Err: fmt.Errorf("mapreduce %q: %w", j.name, err)}
	}
	j.stats.Keys = int64(t.len())
	j.stats.Spills, j.stats.SpillBytes = j.sp.counts()
	if j.cfg.progress != nil {
		j.cfg.progress(j.stats)
	}
	r := &Result[K, R]{c: j.c, name: j.name, t: t, sp: j.sp, stats: j.stats}
	// A Result dropped without Close still removes its files.
	runtime.AddCleanup(r, func(sp *spiller) { _ = sp.remove() }, j.sp)
	return r, nil
}
