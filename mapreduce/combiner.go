package mapreduce

import (
	"cmp"
	"slices"
)

// combiner folds pairs by key in memory: a map from key to the index of
// its value, so a key already there costs one map lookup, and the pairs
// are walked in slices when shipped or spilled.
type combiner[K cmp.Ordered, V any] struct {
	own   bool     // copy string keys (emit's, which may share the mapper's buffer)
	arena keyArena // where they are copied
	index map[K]int
	keys  []K
	vals  []V
	bytes int64 // estimated memory of keys and values
}

func newCombiner[K cmp.Ordered, V any]() combiner[K, V] {
	return combiner[K, V]{index: make(map[K]int)}
}

func (c *combiner[K, V]) len() int { return len(c.keys) }

// add folds v into k's value, or adds k.
func (c *combiner[K, V]) add(k K, v V, fold func(a, b V) V, sz sizes[K, V]) {
	if i, ok := c.index[k]; ok {
		c.vals[i] = fold(c.vals[i], v)
		if !sz.flatValues() {
			// What a fold adds is not known without measuring the whole
			// value; count the incoming value, an upper bound for appends
			// and unions.
			c.bytes += int64(sz.v.of(v))
		}
		return
	}
	if c.own {
		k = keep(&c.arena, sz.k.str, k)
	}
	c.index[k] = len(c.keys)
	c.keys = append(c.keys, k)
	c.vals = append(c.vals, v)
	c.bytes += int64(sz.pair(k, v) + mapEntryBytes)
}

// reset empties the combiner, keeping its memory for reuse.
func (c *combiner[K, V]) reset() {
	clear(c.index)
	clear(c.keys)
	clear(c.vals)
	c.keys, c.vals, c.bytes = c.keys[:0], c.vals[:0], 0
}

// sorted is the pairs in key order.
func (c *combiner[K, V]) sorted() *sliceCursor[K, V] {
	pairs := make([]Pair[K, V], len(c.keys))
	for i, k := range c.keys {
		pairs[i] = Pair[K, V]{k, c.vals[i]}
	}
	slices.SortFunc(pairs, func(a, b Pair[K, V]) int { return cmp.Compare(a.Key, b.Key) })
	return &sliceCursor[K, V]{pairs: pairs}
}
