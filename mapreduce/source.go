package mapreduce

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"

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
// recursively (regular files only, in lexical order). The files are laid
// end to end and cut into one equal byte range per rank; a rank maps the
// lines that start in its range, reading the last one to its end, so every
// line is mapped once whatever the cut. A line may be of any length; its
// trailing "\n" (and "\r\n") is dropped. The record is valid only until the
// mapper returns (copy what you keep).
func Lines(paths ...string) Source[[]byte] { return linesSource{paths: paths} }

// Blocks is Lines in blocks: each record is as many whole lines as a read
// buffer (256 KiB) holds, newlines and "\r" kept, so a mapper that splits
// text itself (into words, say) pays the per-record cost once per block
// rather than once per line. The files are cut among ranks exactly as by
// Lines, so a line is in one block of one rank; a line longer than the
// buffer is a block of its own. A mapper's error names the file and the
// block's first line.
func Blocks(paths ...string) Source[[]byte] { return linesSource{paths: paths, blocks: true} }

type linesSource struct {
	paths  []string
	blocks bool
}

// readBuffer is the read buffer of a Lines source, one per rank for all
// its files; a longer line is gathered in a buffer of its own.
const readBuffer = 256 << 10

type inputFile struct {
	path string
	size int64
}

// files lists the regular files under the paths, in lexical order.
func (l linesSource) files() ([]inputFile, error) {
	var out []inputFile
	for _, p := range l.paths {
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

// part is the lines of one file that start in [start, end).
type part struct {
	path       string
	start, end int64
}

// share is rank's part of the files laid end to end: the rank-th of ranks
// equal byte ranges. Every rank computes the same.
func share(files []inputFile, rank, ranks int) []part {
	var total int64
	for _, f := range files {
		total += f.size
	}
	lo, hi := total*int64(rank)/int64(ranks), total*int64(rank+1)/int64(ranks)
	var parts []part
	var off int64
	for _, f := range files {
		s, e := max(lo, off), min(hi, off+f.size)
		if s < e {
			parts = append(parts, part{f.path, s - off, e - off})
		}
		off += f.size
	}
	return parts
}

func (l linesSource) Records(ctx context.Context, rank, ranks int) (iter.Seq2[[]byte, error], func() string) {
	var place lineCursor
	return func(yield func([]byte, error) bool) {
		if len(l.paths) == 0 {
			yield(nil, fmt.Errorf("%w: Lines of no path", rma.ErrInvalidArgument))
			return
		}
		files, err := l.files()
		if err != nil {
			yield(nil, err)
			return
		}
		r := bufio.NewReaderSize(nil, readBuffer) // one for every file
		for _, p := range share(files, rank, ranks) {
			if !readLines(ctx, p, r, &place, l.blocks, yield) {
				return
			}
		}
	}, place.String
}

// lineCursor is where a Lines source is: the file, and the line being
// mapped (numbered from the file's start when the rank's part starts
// there, else named by the byte it starts at).
type lineCursor struct {
	path      string
	line      int
	midFile   bool
	lineStart int64
}

func (c *lineCursor) String() string {
	if c.midFile {
		return fmt.Sprintf("%s, the line at byte %d", c.path, c.lineStart)
	}
	return fmt.Sprintf("%s:%d", c.path, c.line)
}

// readLines yields the lines of one part; false means stop. A part that
// does not start its file begins after the first newline at or after
// start-1 (the line crossing start is the previous part's); it ends with
// the line that holds byte end-1.
//
// With blocks, a record is as many whole lines as the read buffer holds,
// newlines kept (a line longer than the buffer is a record of its own).
func readLines(ctx context.Context, p part, r *bufio.Reader, place *lineCursor, blocks bool, yield func([]byte, error) bool) bool {
	path := p.path
	*place = lineCursor{path: path, midFile: p.start > 0}
	fh, err := os.Open(path)
	if err != nil {
		return yield(nil, fmt.Errorf("%w: %w", ErrInput, err))
	}
	defer fh.Close()
	pos := p.start // where the next line starts
	if p.start > 0 {
		if _, err := fh.Seek(p.start-1, io.SeekStart); err != nil {
			return yield(nil, fmt.Errorf("%w: %w", ErrInput, err))
		}
		pos = p.start - 1
	}
	r.Reset(fh)
	if p.start > 0 {
		// Skip through the first newline: the rest of a line that started
		// before this part.
		for {
			chunk, err := r.ReadSlice('\n')
			pos += int64(len(chunk))
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err == io.EOF {
				return true
			}
			if err != nil {
				return yield(nil, fmt.Errorf("%w: %s: %w", ErrInput, path, err))
			}
			break
		}
	}
	var long []byte // a line longer than the reader's buffer, being gathered
	inLong := false
	line := 0
	for {
		if !inLong {
			if pos >= p.end {
				return true // the next line is the next part's
			}
			place.lineStart = pos
			if blocks {
				// The whole lines in the buffer that start in this part.
				data, _ := r.Peek(r.Size())
				if k := bytes.LastIndexByte(data[:min(int64(len(data)), p.end-pos)], '\n'); k >= 0 {
					block := data[:k+1]
					place.line = line + 1
					line += bytes.Count(block, []byte{'\n'})
					if ctx.Err() != nil {
						return yield(nil, fmt.Errorf("%s: %w", place, ctx.Err()))
					}
					if !yield(block, nil) {
						return false
					}
					_, _ = r.Discard(k + 1) // Peek returned them: cannot fail
					pos += int64(k + 1)
					continue
				}
				// No line ends in the buffer before the part does: read
				// the next line alone, as below.
			}
		}
		chunk, err := r.ReadSlice('\n')
		pos += int64(len(chunk))
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
			if rec[len(rec)-1] == '\n' && !blocks {
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

// Line is a line of a file, for sources whose mapper needs to know where
// its record came from.
type Line struct {
	File string // the path, as found under the source's paths
	Text []byte // valid only until the mapper returns
}

// FileLines is Lines, each line with the file it is in (an inverted
// index's input).
func FileLines(paths ...string) Source[Line] { return fileLinesSource{linesSource{paths: paths}} }

type fileLinesSource struct{ lines linesSource }

func (f fileLinesSource) Records(ctx context.Context, rank, ranks int) (iter.Seq2[Line, error], func() string) {
	var place lineCursor
	return func(yield func(Line, error) bool) {
		if len(f.lines.paths) == 0 {
			yield(Line{}, fmt.Errorf("%w: FileLines of no path", rma.ErrInvalidArgument))
			return
		}
		files, err := f.lines.files()
		if err != nil {
			yield(Line{}, err)
			return
		}
		r := bufio.NewReaderSize(nil, readBuffer)
		for _, p := range share(files, rank, ranks) {
			ok := readLines(ctx, p, r, &place, false, func(text []byte, err error) bool {
				return yield(Line{File: p.path, Text: text}, err)
			})
			if !ok {
				return
			}
		}
	}, place.String
}
