package mapreduce

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/rma"
)

// Result is one rank's partition of a job's output: the keys this rank
// owns, each with its value. A partition larger than its share of the
// memory budget stays in a file and is read as it is iterated; Close
// removes the file. A read error while iterating (a file removed under
// the job, a full disk) ends the iteration early and is reported by Err.
type Result[K cmp.Ordered, V any] struct {
	c     *cluster.Cluster
	name  string
	t     *table[K, V]
	sp    *spiller
	stats Stats

	mu  sync.Mutex
	err error
}

// Stats reads this rank's counters of the job.
func (r *Result[K, V]) Stats() Stats { return r.stats }

// Len is the number of keys in this rank's partition.
func (r *Result[K, V]) Len() int { return r.t.len() }

// Get is key's value, if this rank owns it (a map lookup or a binary
// search in memory; a scan of the file for a partition on disk).
func (r *Result[K, V]) Get(key K) (V, bool) { return r.t.get(key, r.fail) }

// All yields this rank's partition, in no set order.
func (r *Result[K, V]) All() iter.Seq2[K, V] { return r.t.all(r.fail) }

// Sorted yields this rank's partition in key order.
func (r *Result[K, V]) Sorted() iter.Seq2[K, V] { return r.t.inOrder(r.fail) }

// Err is the first error met reading the partition back from disk, if any.
func (r *Result[K, V]) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Result[K, V]) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = &rma.RankError{Rank: r.c.Rank(), Err: fmt.Errorf("mapreduce %q: %w", r.name, err)}
	}
}

// Close removes the job's spill files on this rank; a partition kept on
// disk cannot be read after it. A Result that is never closed has its
// files removed when it is garbage collected.
func (r *Result[K, V]) Close() error { return r.sp.remove() }

// Source makes this result the input of another job (chaining): each rank
// maps the pairs of its own partition.
func (r *Result[K, V]) Source() Source[Pair[K, V]] { return resultSource[K, V]{r} }

type resultSource[K cmp.Ordered, V any] struct{ r *Result[K, V] }

func (s resultSource[K, V]) Records(ctx context.Context, _, _ int) (iter.Seq2[Pair[K, V], error], func() string) {
	var cur K
	return func(yield func(Pair[K, V], error) bool) {
		n := 0
		var rerr error
		for k, v := range s.r.t.all(func(err error) { rerr = err }) {
			cur = k
			if n++; n%4096 == 0 && ctx.Err() != nil {
				yield(Pair[K, V]{}, ctx.Err())
				return
			}
			if !yield(Pair[K, V]{k, v}, nil) {
				return
			}
		}
		if rerr != nil {
			yield(Pair[K, V]{}, fmt.Errorf("%w: job %q: %w", ErrInput, s.r.name, rerr))
		}
	}, func() string { return fmt.Sprintf("key %v of job %q", cur, s.r.name) }
}

// Gather collects every rank's partition on rank 0 (collective); other
// ranks get nil. For results small enough for one message per rank
// (actor.WithMaxMessageBytes, 256 MiB by default).
func (r *Result[K, V]) Gather(ctx context.Context) (map[K]V, error) {
	b := batch[K, V]{Keys: make([]K, 0, r.Len()), Vals: make([]V, 0, r.Len())}
	for k, v := range r.All() {
		b.Keys = append(b.Keys, k)
		b.Vals = append(b.Vals, v)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	all, err := gatherBatches(ctx, r.c, b)
	if err != nil || all == nil {
		return nil, err
	}
	out := make(map[K]V)
	for _, b := range all {
		for i, k := range b.Keys {
			out[k] = b.Vals[i]
		}
	}
	return out, nil
}

// Top returns, on rank 0, the n pairs that come first by less over every
// rank's partition (collective; other ranks get nil). Each rank sends only
// its own first n.
func (r *Result[K, V]) Top(ctx context.Context, n int, less func(a, b Pair[K, V]) bool) ([]Pair[K, V], error) {
	if n < 0 || less == nil {
		return nil, fmt.Errorf("%w: Top(%d)", rma.ErrInvalidArgument, n)
	}
	cmpPairs := func(a, b Pair[K, V]) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return cmp.Compare(a.Key, b.Key) // a total order: ties by key
	}
	// The first n, kept in a slice of at most 2n sorted down to n as it
	// fills, so a partition on disk is read once and never held.
	var local []Pair[K, V]
	for k, v := range r.All() {
		local = append(local, Pair[K, V]{k, v})
		if len(local) >= 2*n+64 {
			slices.SortFunc(local, cmpPairs)
			clear(local[n:])
			local = local[:n]
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(local, cmpPairs)
	local = local[:min(n, len(local))]
	b := batch[K, V]{}
	for _, p := range local {
		b.Keys = append(b.Keys, p.Key)
		b.Vals = append(b.Vals, p.Value)
	}
	all, err := gatherBatches(ctx, r.c, b)
	if err != nil || all == nil {
		return nil, err
	}
	var merged []Pair[K, V]
	for _, b := range all {
		for i, k := range b.Keys {
			merged = append(merged, Pair[K, V]{k, b.Vals[i]})
		}
	}
	slices.SortFunc(merged, cmpPairs)
	return merged[:min(n, len(merged))], nil
}

// gatherBatches gathers one batch per rank on rank 0, encoded.
func gatherBatches[K cmp.Ordered, V any](ctx context.Context, c *cluster.Cluster, b batch[K, V]) ([]batch[K, V], error) {
	enc, err := codec.AppendValue(nil, b)
	if err != nil {
		return nil, fmt.Errorf("mapreduce: gather: %w", err)
	}
	all, err := cluster.Gather(ctx, c, enc)
	if err != nil || c.Rank() != 0 {
		return nil, err
	}
	out := make([]batch[K, V], len(all))
	for k, e := range all {
		if out[k], err = codec.DecodeValue[batch[K, V]](e); err != nil {
			return nil, fmt.Errorf("mapreduce: gather from rank %d: %w", k, err)
		}
	}
	return out, nil
}

// WriteText writes this rank's partition, sorted by key, to
// dir/part-NNNNN (NNNNN the rank), one "key<TAB>value" line per key
// (values printed with %v). Every rank writes its own file.
func (r *Result[K, V]) WriteText(dir string) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("part-%05d", r.c.Rank()))
	fh, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("mapreduce: %w", err)
	}
	w := bufio.NewWriter(fh)
	for k, v := range r.Sorted() {
		fmt.Fprintf(w, "%v\t%v\n", k, v)
	}
	if err := r.Err(); err != nil {
		fh.Close()
		return "", err
	}
	if err := w.Flush(); err != nil {
		fh.Close()
		return "", fmt.Errorf("mapreduce: %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return "", fmt.Errorf("mapreduce: %s: %w", path, err)
	}
	return path, nil
}
