package mapreduce

import "cmp"

// sortPairsStable sorts pairs by key, keeping the order of equal keys, with
// a merge sort through a buffer as long as pairs (kept in *buf between
// calls): O(n log n) moves, where slices.SortStableFunc, which has no
// buffer, makes O(n log² n) (a per-key reduce spent most of its time there).
func sortPairsStable[K cmp.Ordered, V any](pairs []Pair[K, V], buf *[]Pair[K, V]) {
	const run = 24 // insertion-sorted runs before merging
	n := len(pairs)
	for lo := 0; lo < n; lo += run {
		hi := min(lo+run, n)
		for i := lo + 1; i < hi; i++ {
			for j := i; j > lo && cmp.Less(pairs[j].Key, pairs[j-1].Key); j-- {
				pairs[j], pairs[j-1] = pairs[j-1], pairs[j]
			}
		}
	}
	if n <= run {
		return
	}
	if cap(*buf) < n {
		*buf = make([]Pair[K, V], n)
	}
	src, dst := pairs, (*buf)[:n]
	for width := run; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				// Ties take the left run first: stable.
				if cmp.Less(src[j].Key, src[i].Key) {
					dst[k] = src[j]
					j++
				} else {
					dst[k] = src[i]
					i++
				}
				k++
			}
			k += copy(dst[k:], src[i:mid])
			copy(dst[k:], src[j:hi])
		}
		src, dst = dst, src
	}
	if &src[0] != &pairs[0] {
		copy(pairs, src)
	}
	clear(*buf) // the buffer must not keep keys and values alive
}
