package mapreduce

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"

	"github.com/rmactor/rmactor/rma"
)

// Source is a job's input: every rank opens it and reads its own share.
type Source[I any] interface {
	// Records yields this rank's records (of ranks in all); it stops at
	// the first error, which names where it happened. where tells, while
	// the sequence runs, where the current record came from (for a
	// mapper's error).
	Records(ctx context.Context, rank, ranks int) (records iter.Seq2[I, error], where func() string)
}

// Slice is an in-memory input that every rank holds alike (an SPMD program
// builds it the same everywhere): rank k maps the k-th contiguous part.
func Slice[I any](items []I) Source[I] { return sliceSource[I](items) }

type sliceSource[I any] []I

func (s sliceSource[I]) Records(ctx context.Context, rank, ranks int) (iter.Seq2[I, error], func() string) {
	cur := -1
	return func(yield func(I, error) bool) {
		lo, hi := len(s)*rank/ranks, len(s)*(rank+1)/ranks
		for i := lo; i < hi; i++ {
			cur = i
			if i%1024 == 0 && ctx.Err() != nil {
				var zero I
				yield(zero, fmt.Errorf("item %d: %w", i, ctx.Err()))
				return
			}
			if !yield(s[i], nil) {
				return
			}
		}
	}, func() string { return fmt.Sprintf("item %d", cur) }
}

// Lines is the lines of files: each path is a file, or a directory read
// recursively (regular files only, in lexical order). The files are dealt
// out to the ranks by size, largest first to the least loaded rank, so
// each rank reads about as many bytes. A line may be of any length; its
// trailing "\n" (and "\r\n") is dropped. The record is valid only until the
// mapper returns (copy what you keep).
func Lines(paths ...string) Source[[]byte] { return linesSource(paths) }

type linesSource []string

type inputFile struct {
	path string
	size int64
}

// files lists the regular files under the paths, in lexical order.
func (l linesSource) files() ([]inputFile, error) {
	var out []inputFile
	for _, p := range l {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, inputFile{path, info.Size()})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
	}
	return out, nil
}

// share deals files to ranks: largest first, to the rank with the fewest
// bytes so far (ties to the lowest rank). Every rank computes the same.
func share(files []inputFile, rank, ranks int) []inputFile {
	order := slices.Clone(files)
	slices.SortStableFunc(order, func(a, b inputFile) int {
		switch {
		case a.size > b.size:
			return -1
		case a.size < b.size:
			return 1
		}
		return 0
	})
	load := make([]int64, ranks)
	var mine []inputFile
	for _, f := range order {
		k := 0
		for j := range load {
			if load[j] < load[k] {
				k = j
			}
		}
		load[k] += f.size
		if k == rank {
			mine = append(mine, f)
		}
	}
	return mine
}

func (l linesSource) Records(ctx context.Context, rank, ranks int) (iter.Seq2[[]byte, error], func() string) {
	var place lineCursor
	return func(yield func([]byte, error) bool) {
		if len(l) == 0 {
			yield(nil, fmt.Errorf("%w: Lines of no path", rma.ErrInvalidArgument))
			return
		}
		files, err := l.files()
		if err != nil {
			yield(nil, err)
			return
		}
		for _, f := range share(files, rank, ranks) {
			if !readLines(ctx, f.path, &place, yield) {
				return
			}
		}
	}, place.String
}

// lineCursor is where a Lines source is: the file and line being mapped.
type lineCursor struct {
	path string
	line int
}

func (c *lineCursor) String() string { return fmt.Sprintf("%s:%d", c.path, c.line) }

// readLines yields the lines of one file; false means stop.
func readLines(ctx context.Context, path string, place *lineCursor, yield func([]byte, error) bool) bool {
	place.path, place.line = path, 0
	fh, err := os.Open(path)
	if err != nil {
		return yield(nil, fmt.Errorf("%w: %w", ErrInput, err))
	}
	defer fh.Close()
	r := bufio.NewReaderSize(fh, 256<<10)
	var long []byte // a line longer than the reader's buffer, being gathered
	inLong := false
	line := 0
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !inLong {
				long, inLong = long[:0], true
			}
			long = append(long, chunk...)
			continue
		}
		rec := chunk
		if inLong {
			long = append(long, chunk...)
			rec, inLong = long, false
		}
		if len(rec) > 0 {
			line++
			place.line = line
			if line%4096 == 0 && ctx.Err() != nil {
				return yield(nil, fmt.Errorf("%s: %w", place, ctx.Err()))
			}
			if rec[len(rec)-1] == '\n' {
				rec = rec[:len(rec)-1]
				if len(rec) > 0 && rec[len(rec)-1] == '\r' {
					rec = rec[:len(rec)-1]
				}
			}
			if !yield(rec, nil) {
				return false
			}
		}
		if cap(long) > 16<<20 {
			long = nil // do not keep a huge line's buffer
		}
		if err == io.EOF {
			return true
		}
		if err != nil {
			return yield(nil, fmt.Errorf("%w: %s: %w", ErrInput, place, err))
		}
	}
}
