package mapreduce

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rmactor/rmactor/codec"
)

// A run file holds pairs sorted by key, in chunks: each chunk is a
// uvarint length followed by that many bytes, a batch encoded with
// codec.AppendValue. Chunks are cut at runChunkPairs pairs or
// runChunkBytes estimated bytes, so reading a run holds one chunk.
const (
	runChunkPairs = 1024
	runChunkBytes = 256 << 10
)

// runWriter writes pairs, in the order given, to a run file.
type runWriter[K cmp.Ordered, V any] struct {
	path  string
	fh    *os.File
	w     *bufio.Writer
	chunk batch[K, V]
	bytes int // estimated bytes of chunk
	pairs int64
	enc   []byte
	size  func(K, V) int
}

func createRun[K cmp.Ordered, V any](path string, size func(K, V) int) (*runWriter[K, V], error) {
	fh, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpill, err)
	}
	return &runWriter[K, V]{path: path, fh: fh, w: bufio.NewWriterSize(fh, 256<<10), size: size}, nil
}

func (rw *runWriter[K, V]) add(k K, v V) error {
	rw.chunk.Keys = append(rw.chunk.Keys, k)
	rw.chunk.Vals = append(rw.chunk.Vals, v)
	rw.bytes += rw.size(k, v)
	rw.pairs++
	if len(rw.chunk.Keys) >= runChunkPairs || rw.bytes >= runChunkBytes {
		return rw.flushChunk()
	}
	return nil
}

func (rw *runWriter[K, V]) flushChunk() error {
	if len(rw.chunk.Keys) == 0 {
		return nil
	}
	body, err := codec.AppendValue(rw.enc[:0], rw.chunk)
	if err != nil {
		return err
	}
	var head [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(head[:], uint64(len(body)))
	if _, err := rw.w.Write(head[:n]); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSpill, rw.path, err)
	}
	if _, err := rw.w.Write(body); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSpill, rw.path, err)
	}
	rw.enc = body[:0]
	clear(rw.chunk.Keys)
	clear(rw.chunk.Vals)
	rw.chunk.Keys, rw.chunk.Vals, rw.bytes = rw.chunk.Keys[:0], rw.chunk.Vals[:0], 0
	return nil
}

// close writes what is left and closes the file.
func (rw *runWriter[K, V]) close() error {
	err := rw.flushChunk()
	if err == nil {
		if err = rw.w.Flush(); err != nil {
			err = fmt.Errorf("%w: %s: %w", ErrSpill, rw.path, err)
		}
	}
	if cerr := rw.fh.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("%w: %s: %w", ErrSpill, rw.path, cerr)
	}
	return err
}

// abort closes the file after a failure; the caller removes it.
func (rw *runWriter[K, V]) abort() { _ = rw.fh.Close() }

// runReader reads a run file's pairs in order, one chunk in memory.
type runReader[K cmp.Ordered, V any] struct {
	path  string
	fh    *os.File
	r     *bufio.Reader
	chunk batch[K, V]
	next  int
	buf   []byte
	err   error
}

func openRun[K cmp.Ordered, V any](path string) (*runReader[K, V], error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpill, err)
	}
	return &runReader[K, V]{path: path, fh: fh, r: bufio.NewReaderSize(fh, 64<<10)}, nil
}

// pair is the next pair; ok is false at the end or on an error (err).
func (rr *runReader[K, V]) pair() (k K, v V, ok bool) {
	for rr.next >= len(rr.chunk.Keys) {
		if rr.err != nil || !rr.load() {
			return k, v, false
		}
	}
	k, v = rr.chunk.Keys[rr.next], rr.chunk.Vals[rr.next]
	rr.next++
	return k, v, true
}

func (rr *runReader[K, V]) load() bool {
	n, err := binary.ReadUvarint(rr.r)
	if errors.Is(err, io.EOF) {
		return false
	}
	if err == nil && n > 1<<40 {
		err = fmt.Errorf("a chunk of %d bytes", n)
	}
	if err == nil {
		if uint64(cap(rr.buf)) < n {
			rr.buf = make([]byte, n)
		}
		rr.buf = rr.buf[:n]
		_, err = io.ReadFull(rr.r, rr.buf)
	}
	if err == nil {
		rr.chunk, err = codec.DecodeValue[batch[K, V]](rr.buf)
		if err == nil && len(rr.chunk.Keys) != len(rr.chunk.Vals) {
			err = fmt.Errorf("a chunk of %d keys and %d values", len(rr.chunk.Keys), len(rr.chunk.Vals))
		}
	}
	if err != nil {
		rr.err = fmt.Errorf("%w: %s: %w", ErrSpill, rr.path, err)
		return false
	}
	rr.next = 0
	return true
}

func (rr *runReader[K, V]) close() { _ = rr.fh.Close() }
