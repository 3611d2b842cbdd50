package mapreduce

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"slices"
)

// partSuffix names the encoded part files WriteParts writes and Parts
// reads.
const partSuffix = ".pairs"

// WriteParts writes this rank's partition, sorted by key, to
// dir/part-NNNNN.pairs (NNNNN the rank) in the codec's encoding, for a
// later job, or another program, to read with Parts. Every rank writes
// its own file; dir must exist.
func (r *Result[K, V]) WriteParts(dir string) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("part-%05d%s", r.c.Rank(), partSuffix))
	sz := newSizes[K, V]()
	rw, err := createRun[K, V](path, sz.pair)
	if err != nil {
		return "", err
	}
	for k, v := range r.Sorted() {
		if err := rw.add(k, v); err != nil {
			rw.abort()
			return "", err
		}
	}
	if err := r.Err(); err != nil {
		rw.abort()
		return "", err
	}
	if err := rw.close(); err != nil {
		return "", err
	}
	return path, nil
}

// Parts is the pairs of the part files WriteParts wrote to dir (by a job
// on any number of ranks): rank k of n reads the files whose number is k
// modulo n, a chunk at a time. K and V must be the types they were written
// with; a file that does not decode as them fails the job with ErrInput.
func Parts[K cmp.Ordered, V any](dir string) Source[Pair[K, V]] { return partsSource[K, V](dir) }

type partsSource[K cmp.Ordered, V any] string

func (p partsSource[K, V]) Records(ctx context.Context, rank, ranks int) (iter.Seq2[Pair[K, V], error], func() string) {
	var file string
	var n int
	return func(yield func(Pair[K, V], error) bool) {
		files, err := filepath.Glob(filepath.Join(string(p), "part-*"+partSuffix))
		if err == nil && len(files) == 0 {
			err = fmt.Errorf("no part-*%s files in %s", partSuffix, string(p))
		}
		if err != nil {
			yield(Pair[K, V]{}, fmt.Errorf("%w: %w", ErrInput, err))
			return
		}
		slices.Sort(files)
		for i := rank; i < len(files); i += ranks {
			file, n = files[i], 0
			rr, err := openRun[K, V](file)
			if err != nil {
				yield(Pair[K, V]{}, fmt.Errorf("%w: %w", ErrInput, err))
				return
			}
			for k, v, ok := rr.pair(); ok; k, v, ok = rr.pair() {
				if n++; n%4096 == 0 && ctx.Err() != nil {
					rr.close()
					yield(Pair[K, V]{}, ctx.Err())
					return
				}
				if !yield(Pair[K, V]{k, v}, nil) {
					rr.close()
					return
				}
			}
			rr.close()
			if rr.err != nil {
				yield(Pair[K, V]{}, fmt.Errorf("%w: %w", ErrInput, rr.err))
				return
			}
		}
	}, func() string { return fmt.Sprintf("%s, pair %d", file, n) }
}
