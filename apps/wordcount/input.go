package wordcount

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// part is a byte range of one input file.
type part struct {
	path       string
	start, end int64
}

// listFiles returns the regular files under path (path itself if it is a
// file), sorted, with their sizes.
func listFiles(path string) ([]string, []int64, error) {
	var files []string
	var sizes []int64
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
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
		files = append(files, p)
		sizes = append(sizes, info.Size())
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("wordcount: input %s: %w", path, err)
	}
	idx := make([]int, len(files))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return files[idx[a]] < files[idx[b]] })
	sf, ss := make([]string, len(files)), make([]int64, len(files))
	for i, j := range idx {
		sf[i], ss[i] = files[j], sizes[j]
	}
	return sf, ss, nil
}

// share is rank k of n's part of the corpus: the k-th of n equal byte
// ranges of all files laid end to end.
func share(files []string, sizes []int64, k, n int) []part {
	var total int64
	for _, s := range sizes {
		total += s
	}
	lo, hi := total*int64(k)/int64(n), total*int64(k+1)/int64(n)
	var parts []part
	var off int64
	for i, f := range files {
		s, e := max(lo, off), min(hi, off+sizes[i])
		if s < e {
			parts = append(parts, part{path: f, start: s - off, end: e - off})
		}
		off += sizes[i]
	}
	return parts
}

// readPart calls fn with the words of the lines that start in
// [p.start, p.end): a line that begins before start belongs to the previous
// part, one that begins before end is read to its end, however long. Every
// line is read by exactly one rank. The bytes are streamed through r (reset
// to the file) and the splitter: neither the part nor a line is held whole.
func readPart(p part, r *bufio.Reader, fn func(word []byte)) error {
	f, err := os.Open(p.path)
	if err != nil {
		return fmt.Errorf("wordcount: %w", err)
	}
	defer f.Close()
	pos := p.start
	if p.start > 0 {
		// The first line of the part starts after the first '\n' at or
		// after start-1 (at start itself if the byte before it ends a line).
		if _, err := f.Seek(p.start-1, io.SeekStart); err != nil {
			return fmt.Errorf("wordcount: %w", err)
		}
		r.Reset(f)
		n, err := throughNewline(r, io.Discard)
		if err != nil {
			return err
		}
		pos = p.start - 1 + n
	} else {
		r.Reset(f)
	}
	if pos >= p.end {
		return nil // no line starts in the part
	}
	s := newSplitter(fn)
	// Every byte before end-1, then on to the end of the line that holds
	// byte end-1: the last line that starts before end.
	if _, err := copyN(r, s, p.end-1-pos); err != nil {
		return err
	}
	if _, err := throughNewline(r, s); err != nil {
		return err
	}
	return s.Close()
}
