package mapreduce

import (
	"cmp"
	"iter"
	"slices"
)

// table is one rank's partition of a job's output: a combiner's table (a
// fold that never spilled), a slice sorted by key, or a run file sorted by
// key (an output larger than its memory share).
type table[K cmp.Ordered, V any] struct {
	mem    *combiner[K, V]
	sorted []Pair[K, V]
	file   string
	n      int
}

func (t *table[K, V]) len() int { return t.n }

// cursor yields the table in key order; done releases it and reports a
// read error.
func (t *table[K, V]) cursor() (c cursor[K, V], done func() error) {
	switch {
	case t.file != "":
		rr, err := openRun[K, V](t.file)
		if err != nil {
			return &sliceCursor[K, V]{}, func() error { return err }
		}
		return rr, func() error { rr.close(); return rr.err }
	case t.mem != nil:
		return t.mem.sorted(), func() error { return nil }
	}
	return &sliceCursor[K, V]{pairs: t.sorted}, func() error { return nil }
}

// all yields the table, in key order unless it is a map; a read error
// goes to fail.
func (t *table[K, V]) all(fail func(error)) iter.Seq2[K, V] {
	if t.mem != nil {
		return func(yield func(K, V) bool) {
			for i, k := range t.mem.keys {
				if !yield(k, t.mem.vals[i]) {
					return
				}
			}
		}
	}
	return t.inOrder(fail)
}

// inOrder yields the table in key order; a read error goes to fail.
func (t *table[K, V]) inOrder(fail func(error)) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		c, done := t.cursor()
		for k, v, ok := c.pair(); ok; k, v, ok = c.pair() {
			if !yield(k, v) {
				break
			}
		}
		if err := done(); err != nil {
			fail(err)
		}
	}
}

// get finds key: a map lookup, a binary search, or a scan of the file.
func (t *table[K, V]) get(key K, fail func(error)) (V, bool) {
	switch {
	case t.mem != nil:
		if i, ok := t.mem.index[key]; ok {
			return t.mem.vals[i], true
		}
		var zero V
		return zero, false
	case t.file == "":
		i, ok := slices.BinarySearchFunc(t.sorted, key, func(p Pair[K, V], k K) int { return cmp.Compare(p.Key, k) })
		if ok {
			return t.sorted[i].Value, true
		}
		var zero V
		return zero, false
	}
	for k, v := range t.inOrder(fail) {
		if c := cmp.Compare(k, key); c == 0 {
			return v, true
		} else if c > 0 {
			break
		}
	}
	var zero V
	return zero, false
}

// tableBuilder makes a table from pairs given in key order, keys
// distinct: in memory while they fit in budget, else in a run file.
type tableBuilder[K cmp.Ordered, V any] struct {
	sp     *spiller
	budget int64
	size   func(K, V) int
	pairs  []Pair[K, V]
	bytes  int64
	w      *runWriter[K, V]
	n      int
}

func (b *tableBuilder[K, V]) add(k K, v V) error {
	b.n++
	if b.w != nil {
		return b.w.add(k, v)
	}
	b.pairs = append(b.pairs, Pair[K, V]{k, v})
	b.bytes += int64(b.size(k, v))
	if b.bytes <= b.budget {
		return nil
	}
	path, err := b.sp.path()
	if err != nil {
		return err
	}
	if b.w, err = createRun[K, V](path, b.size); err != nil {
		return err
	}
	for _, p := range b.pairs {
		if err := b.w.add(p.Key, p.Value); err != nil {
			return err
		}
	}
	b.pairs = nil
	return nil
}

// finish is the table; after an error the caller removes the spill
// directory.
func (b *tableBuilder[K, V]) finish() (*table[K, V], error) {
	if b.w == nil {
		return &table[K, V]{sorted: b.pairs, n: b.n}, nil
	}
	if err := b.w.close(); err != nil {
		return nil, err
	}
	b.sp.wrote(b.w.path)
	return &table[K, V]{file: b.w.path, n: b.n}, nil
}

// abort closes an unfinished file.
func (b *tableBuilder[K, V]) abort() {
	if b.w != nil {
		b.w.abort()
	}
}
