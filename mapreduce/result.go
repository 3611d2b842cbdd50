package mapreduce

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/rma"
)

// Result is one rank's partition of a job's output: the keys this rank
// owns, each with its folded value.
type Result[K cmp.Ordered, V any] struct {
	c     *cluster.Cluster
	name  string
	part  map[K]V
	stats Stats
}

// Stats reads this rank's counters of the job.
func (r *Result[K, V]) Stats() Stats { return r.stats }

// Len is the number of keys in this rank's partition.
func (r *Result[K, V]) Len() int { return len(r.part) }

// Get is key's value, if this rank owns it.
func (r *Result[K, V]) Get(key K) (V, bool) {
	v, ok := r.part[key]
	return v, ok
}

// All yields this rank's partition, in no order.
func (r *Result[K, V]) All() iter.Seq2[K, V] { return maps.All(r.part) }

// Sorted yields this rank's partition in key order.
func (r *Result[K, V]) Sorted() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for _, k := range slices.Sorted(maps.Keys(r.part)) {
			if !yield(k, r.part[k]) {
				return
			}
		}
	}
}

// Source makes this result the input of another job (chaining): each rank
// maps the pairs of its own partition.
func (r *Result[K, V]) Source() Source[Pair[K, V]] { return resultSource[K, V]{r} }

type resultSource[K cmp.Ordered, V any] struct{ r *Result[K, V] }

func (s resultSource[K, V]) Records(ctx context.Context, _, _ int) (iter.Seq2[Pair[K, V], error], func() string) {
	var cur K
	return func(yield func(Pair[K, V], error) bool) {
		n := 0
		for k, v := range s.r.part {
			cur = k
			if n++; n%4096 == 0 && ctx.Err() != nil {
				yield(Pair[K, V]{}, ctx.Err())
				return
			}
			if !yield(Pair[K, V]{k, v}, nil) {
				return
			}
		}
	}, func() string { return fmt.Sprintf("key %v of job %q", cur, s.r.name) }
}

// Gather collects every rank's partition on rank 0 (collective); other
// ranks get nil. For results small enough for one message per rank
// (mailbox.WithMaxMessageBytes, 256 MiB by default).
func (r *Result[K, V]) Gather(ctx context.Context) (map[K]V, error) {
	b := batch[K, V]{Keys: make([]K, 0, len(r.part)), Vals: make([]V, 0, len(r.part))}
	for k, v := range r.part {
		b.Keys = append(b.Keys, k)
		b.Vals = append(b.Vals, v)
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
	local := make([]Pair[K, V], 0, len(r.part))
	for k, v := range r.part {
		local = append(local, Pair[K, V]{k, v})
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
	if err := w.Flush(); err != nil {
		fh.Close()
		return "", fmt.Errorf("mapreduce: %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return "", fmt.Errorf("mapreduce: %s: %w", path, err)
	}
	return path, nil
}
