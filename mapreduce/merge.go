package mapreduce

import "cmp"

// cursor yields pairs in key order.
type cursor[K cmp.Ordered, V any] interface {
	pair() (K, V, bool)
}

// sliceCursor yields a sorted slice of pairs.
type sliceCursor[K cmp.Ordered, V any] struct {
	pairs []Pair[K, V]
	next  int
}

func (s *sliceCursor[K, V]) pair() (k K, v V, ok bool) {
	if s.next >= len(s.pairs) {
		return k, v, false
	}
	p := s.pairs[s.next]
	s.next++
	return p.Key, p.Value, true
}

// head is a cursor's next pair, in the merger's heap.
type head[K cmp.Ordered, V any] struct {
	key K
	val V
	src int
}

// merger yields the pairs of several sorted cursors in key order; equal
// keys come in cursor order, so a merge is stable.
type merger[K cmp.Ordered, V any] struct {
	srcs []cursor[K, V]
	heap []head[K, V]
}

func newMerger[K cmp.Ordered, V any](srcs []cursor[K, V]) *merger[K, V] {
	m := &merger[K, V]{srcs: srcs}
	for i, s := range srcs {
		if k, v, ok := s.pair(); ok {
			m.heap = append(m.heap, head[K, V]{k, v, i})
			m.up(len(m.heap) - 1)
		}
	}
	return m
}

func (m *merger[K, V]) less(i, j int) bool {
	if c := cmp.Compare(m.heap[i].key, m.heap[j].key); c != 0 {
		return c < 0
	}
	return m.heap[i].src < m.heap[j].src
}

func (m *merger[K, V]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !m.less(i, p) {
			return
		}
		m.heap[i], m.heap[p] = m.heap[p], m.heap[i]
		i = p
	}
}

func (m *merger[K, V]) down(i int) {
	for {
		l, small := 2*i+1, i
		if l < len(m.heap) && m.less(l, small) {
			small = l
		}
		if r := l + 1; r < len(m.heap) && m.less(r, small) {
			small = r
		}
		if small == i {
			return
		}
		m.heap[i], m.heap[small] = m.heap[small], m.heap[i]
		i = small
	}
}

// pair is the least pair left; ok is false when every cursor is done.
func (m *merger[K, V]) pair() (k K, v V, ok bool) {
	if len(m.heap) == 0 {
		return k, v, false
	}
	top := m.heap[0]
	if nk, nv, ok := m.srcs[top.src].pair(); ok {
		m.heap[0] = head[K, V]{nk, nv, top.src}
	} else {
		last := len(m.heap) - 1
		m.heap[0] = m.heap[last]
		m.heap[last] = head[K, V]{}
		m.heap = m.heap[:last]
	}
	if len(m.heap) > 0 {
		m.down(0)
	}
	return top.key, top.val, true
}

// folded yields a sorted cursor's pairs with equal keys folded into one.
type folded[K cmp.Ordered, V any] struct {
	src     cursor[K, V]
	fold    func(a, b V) V
	k       K
	v       V
	pending bool
	started bool
}

func (f *folded[K, V]) pair() (k K, v V, ok bool) {
	if !f.started {
		f.k, f.v, f.pending = f.src.pair()
		f.started = true
	}
	if !f.pending {
		return k, v, false
	}
	k, v = f.k, f.v
	for {
		nk, nv, ok := f.src.pair()
		if !ok {
			f.pending = false
			return k, v, true
		}
		if cmp.Compare(nk, k) != 0 {
			f.k, f.v = nk, nv
			return k, v, true
		}
		v = f.fold(v, nv)
	}
}
