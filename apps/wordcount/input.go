package wordcount

import (
	"bufio"
	"errors"
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

// readPart streams the lines that start in [p.start, p.end): a line that
// begins before start belongs to the previous part, one that begins before
// end is read to its end. Every line is read by exactly one rank.
func readPart(p part, fn func(word string)) error {
	f, err := os.Open(p.path)
	if err != nil {
		return fmt.Errorf("wordcount: %w", err)
	}
	defer f.Close()
	pos := p.start
	if p.start > 0 {
		// Does a line start exactly at p.start? Only if the byte before
		// it ends a line.
		if _, err := f.Seek(p.start-1, io.SeekStart); err != nil {
			return fmt.Errorf("wordcount: %w", err)
		}
		pos = p.start - 1
	}
	r := bufio.NewReaderSize(f, 64<<10)
	if p.start > 0 {
		skipped, err := r.ReadString('\n')
		pos += int64(len(skipped))
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("wordcount: %w", err)
		}
	}
	for pos < p.end {
		line, err := r.ReadString('\n')
		pos += int64(len(line))
		wordsOf(line, fn)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("wordcount: %w", err)
		}
	}
	return nil
}
