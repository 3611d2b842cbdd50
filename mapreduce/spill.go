package mapreduce

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// ErrSpill reports a spill file that could not be written or read back
// (a full disk, a temp directory that cannot be created).
var ErrSpill = errors.New("mapreduce: spill")

// mergeFanIn is the most runs merged at once; more are merged in rounds,
// so a merge holds at most this many chunks in memory.
const mergeFanIn = 16

// spiller owns one rank's spill directory for a job: created on the first
// spill, removed with everything in it by remove (on success once the
// result is closed; at once on failure and cancellation).
type spiller struct {
	parent string // where the directory goes; os.TempDir() if empty
	prefix string
	mu     sync.Mutex
	dir    string
	seq    int
	files  int64 // run files written
	bytes  int64 // their bytes
	gone   bool
}

func newSpiller(parent, job string, rank int) *spiller {
	return &spiller{parent: parent, prefix: fmt.Sprintf("rmactor-mapreduce-%s-rank%d-", safeName(job), rank)}
}

// safeName keeps a job name's letters, digits, '.', '-' and '_' for a
// directory name.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// path names a new run file.
func (s *spiller) path() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return "", fmt.Errorf("%w: the job's spill directory was removed", ErrSpill)
	}
	if s.dir == "" {
		if s.parent != "" {
			if err := os.MkdirAll(s.parent, 0o755); err != nil {
				return "", fmt.Errorf("%w: %w", ErrSpill, err)
			}
		}
		dir, err := os.MkdirTemp(s.parent, s.prefix)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrSpill, err)
		}
		s.dir = dir
	}
	s.seq++
	return filepath.Join(s.dir, fmt.Sprintf("run-%06d", s.seq)), nil
}

// wrote counts a finished run file.
func (s *spiller) wrote(path string) {
	if info, err := os.Stat(path); err == nil {
		s.mu.Lock()
		s.files++
		s.bytes += info.Size()
		s.mu.Unlock()
	}
}

func (s *spiller) counts() (files, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files, s.bytes
}

// remove deletes the spill directory and everything in it.
func (s *spiller) remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone = true
	if s.dir == "" {
		return nil
	}
	dir := s.dir
	s.dir = ""
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("%w: %w", ErrSpill, err)
	}
	return nil
}

// writeRun writes a cursor's pairs to a new run file.
func writeRun[K cmp.Ordered, V any](sp *spiller, src cursor[K, V], size func(K, V) int) (string, error) {
	path, err := sp.path()
	if err != nil {
		return "", err
	}
	rw, err := createRun[K, V](path, size)
	if err != nil {
		return "", err
	}
	for k, v, ok := src.pair(); ok; k, v, ok = src.pair() {
		if err := rw.add(k, v); err != nil {
			rw.abort()
			_ = os.Remove(path)
			return "", err
		}
	}
	if err := rw.close(); err != nil {
		_ = os.Remove(path)
		return "", err
	}
	sp.wrote(path)
	return path, nil
}

// openRuns opens run files as cursors; close closes them all.
func openRuns[K cmp.Ordered, V any](paths []string) (srcs []cursor[K, V], readers []*runReader[K, V], err error) {
	for _, p := range paths {
		rr, err := openRun[K, V](p)
		if err != nil {
			for _, r := range readers {
				r.close()
			}
			return nil, nil, err
		}
		readers = append(readers, rr)
		srcs = append(srcs, rr)
	}
	return srcs, readers, nil
}

// runsErr is the first read error of the readers.
func runsErr[K cmp.Ordered, V any](readers []*runReader[K, V]) error {
	for _, r := range readers {
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// narrow merges runs in rounds of mergeFanIn (folding equal keys if fold
// is set) until at most mergeFanIn-1 are left, leaving room for one more
// cursor (the pairs still in memory).
func narrow[K cmp.Ordered, V any](sp *spiller, runs []string, fold func(a, b V) V, size func(K, V) int) ([]string, error) {
	for len(runs) >= mergeFanIn {
		srcs, readers, err := openRuns[K, V](runs[:mergeFanIn])
		if err != nil {
			return runs, err
		}
		var src cursor[K, V] = newMerger(srcs)
		if fold != nil {
			src = &folded[K, V]{src: src, fold: fold}
		}
		path, err := writeRun(sp, src, size)
		for _, r := range readers {
			r.close()
		}
		if err == nil {
			err = runsErr(readers)
		}
		if err != nil {
			return runs, err
		}
		for _, p := range runs[:mergeFanIn] {
			_ = os.Remove(p)
		}
		runs = append(runs[mergeFanIn:], path)
	}
	return runs, nil
}
