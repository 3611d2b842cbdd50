package mapreduce

import (
	"cmp"
	"fmt"
	"iter"
)

// mapEntryBytes is what a map entry costs beyond its key and value (the
// runtime's slot and control bytes, and growth slack), for the budget.
const mapEntryBytes = 32

// sizes estimates the memory of keys and values for the budget.
type sizes[K cmp.Ordered, V any] struct {
	k sizer[K]
	v sizer[V]
}

func newSizes[K cmp.Ordered, V any]() sizes[K, V] {
	return sizes[K, V]{newSizer[K](), newSizer[V]()}
}

func (s sizes[K, V]) pair(k K, v V) int { return s.k.of(k) + s.v.of(v) }

// flatValues reports whether every value has the same size, so folding
// into a key never changes the memory it holds.
func (s sizes[K, V]) flatValues() bool { return !s.v.str && s.v.extra == nil }

// foldStore is a reducer's partition for a fold: a combiner (key to
// folded value) while it fits in budget, then sorted runs on disk, merged
// (and folded) when the job ends.
type foldStore[K cmp.Ordered, V any] struct {
	mem    combiner[K, V]
	budget int64
	fold   func(a, b V) V
	sz     sizes[K, V]
	sp     *spiller
	runs   []string
}

func (s *foldStore[K, V]) add(k K, v V) error {
	s.mem.add(k, v, s.fold, s.sz)
	if s.mem.bytes > s.budget {
		return s.spill()
	}
	return nil
}

// adopt makes c the partition if the partition is empty (and reports
// whether it did); c must not be used after.
func (s *foldStore[K, V]) adopt(c *combiner[K, V]) bool {
	if s.mem.len() > 0 || len(s.runs) > 0 || c.bytes > s.budget {
		return false
	}
	s.mem = *c
	s.mem.own = false
	return true
}

// spill writes the table, sorted, to a run file and empties it.
func (s *foldStore[K, V]) spill() error {
	if s.mem.len() == 0 {
		return nil
	}
	path, err := writeRun(s.sp, s.mem.sorted(), s.sz.pair)
	if err != nil {
		return err
	}
	s.runs = append(s.runs, path)
	s.mem.reset()
	return nil
}

// finish is the partition: the map itself if nothing spilled, else the
// runs and the map merged and folded, in memory if the result fits in
// budget and in one sorted file if not.
func (s *foldStore[K, V]) finish() (*table[K, V], error) {
	if len(s.runs) == 0 {
		return &table[K, V]{mem: &s.mem, n: s.mem.len()}, nil
	}
	runs, err := narrow(s.sp, s.runs, s.fold, s.sz.pair)
	s.runs = runs
	if err != nil {
		return nil, err
	}
	srcs, readers, err := openRuns[K, V](runs)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, r := range readers {
			r.close()
		}
	}()
	mem := s.mem.sorted()
	s.mem = combiner[K, V]{}
	src := &folded[K, V]{src: newMerger(append(srcs, cursor[K, V](mem))), fold: s.fold}
	out := &tableBuilder[K, V]{sp: s.sp, budget: s.budget, size: func(k K, v V) int { return s.sz.pair(k, v) + 16 }}
	for k, v, ok := src.pair(); ok; k, v, ok = src.pair() {
		if err := out.add(k, v); err != nil {
			out.abort()
			return nil, err
		}
	}
	if err := runsErr(readers); err != nil {
		out.abort()
		return nil, err
	}
	return out.finish()
}

// groupStore is a reducer's partition for a per-key reduce: every pair
// as it came, in memory while they fit in budget, then sorted runs on
// disk; at the end the runs and the pairs still in memory are merged and
// each key's values streamed to the reduce function.
type groupStore[K cmp.Ordered, V any] struct {
	pairs  []Pair[K, V]
	buf    []Pair[K, V] // sortPairsStable's
	bytes  int64
	budget int64
	sz     sizes[K, V]
	sp     *spiller
	runs   []string
}

func (s *groupStore[K, V]) add(k K, v V) error {
	s.pairs = append(s.pairs, Pair[K, V]{k, v})
	s.bytes += int64(s.sz.pair(k, v))
	if s.bytes > s.budget {
		return s.spill()
	}
	return nil
}

func (s *groupStore[K, V]) sort() {
	sortPairsStable(s.pairs, &s.buf)
}

func (s *groupStore[K, V]) spill() error {
	if len(s.pairs) == 0 {
		return nil
	}
	s.sort()
	path, err := writeRun(s.sp, &sliceCursor[K, V]{pairs: s.pairs}, s.sz.pair)
	if err != nil {
		return err
	}
	s.runs = append(s.runs, path)
	clear(s.pairs)
	s.pairs, s.bytes = s.pairs[:0], 0
	return nil
}

// groups calls reduce with each key, in key order, and its values (from
// the runs in the order they were written, so in arrival order within a
// rank's share), and gives what it returns to out. The values iterator
// reads from disk as it goes; it can be ranged over once.
func groups[K cmp.Ordered, V, R any](s *groupStore[K, V], reduce func(K, iter.Seq[V]) (R, error), out *tableBuilder[K, R]) error {
	runs, err := narrow[K, V](s.sp, s.runs, nil, s.sz.pair)
	s.runs = runs
	if err != nil {
		return err
	}
	srcs, readers, err := openRuns[K, V](runs)
	if err != nil {
		return err
	}
	defer func() {
		for _, r := range readers {
			r.close()
		}
	}()
	s.sort()
	m := newMerger(append(srcs, cursor[K, V](&sliceCursor[K, V]{pairs: s.pairs})))
	ck, cv, more := m.pair()
	for more {
		key := ck
		used := false
		values := func(yield func(V) bool) {
			if used {
				return
			}
			used = true
			for more && cmp.Compare(ck, key) == 0 {
				v := cv
				ck, cv, more = m.pair()
				if !yield(v) {
					return
				}
			}
		}
		r, err := reduce(key, values)
		if err != nil {
			return fmt.Errorf("reduce of key %v: %w", key, err)
		}
		for more && cmp.Compare(ck, key) == 0 {
			ck, cv, more = m.pair() // the values reduce did not read
		}
		if err := out.add(key, r); err != nil {
			return err
		}
	}
	return runsErr(readers)
}
