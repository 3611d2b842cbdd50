package mapreduce

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"time"

	"github.com/rmactor/rmactor/rma"
)

// config is a job's options.
type config struct {
	combineEntries int
	batchPairs     int
	batchBytes     int
	memory         int64
	tempDir        string
	partition      func(key any, ranks int) int
	progress       func(Stats)
	every          time.Duration
}

// DefaultMemory is a job's memory budget per rank unless WithMemory sets
// another.
const DefaultMemory = 512 << 20

func defaultConfig() config {
	return config{combineEntries: 1 << 16, batchPairs: 1 << 13, batchBytes: 1 << 20, memory: DefaultMemory, partition: hashPartition}
}

// WithMemory sets the memory budget of a job on each rank (default
// DefaultMemory, 512 MiB): the estimated bytes of the keys and values the
// rank holds. A quarter goes to the combiner on the mapping side, half to
// the reducer's partition; past it, the partition is sorted and written to
// a run file under WithTempDir, and the runs are merged when the job ends
// (an external sort, as MR-MPI's out-of-core pages). A result larger than
// half the budget stays on disk and is read as it is iterated. The same
// job gives the same answer with any budget; a small one costs time.
func WithMemory(bytes int64) Option {
	return func(c *config) error {
		if bytes < 1<<10 {
			return fmt.Errorf("%w: a memory budget of %d bytes (at least 1 KiB)", rma.ErrInvalidArgument, bytes)
		}
		c.memory = bytes
		return nil
	}
}

// WithTempDir sets where a job's spill files go (default os.TempDir()):
// each rank makes its own directory there, removed when the job fails or
// is cancelled, and when its Result is closed.
func WithTempDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return fmt.Errorf("%w: an empty temp directory", rma.ErrInvalidArgument)
		}
		c.tempDir = dir
		return nil
	}
}

// WithBatchBytes sets the estimated bytes at which a shuffle message is
// sent even if it holds fewer than WithBatchPairs pairs (default 1 MiB).
func WithBatchBytes(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: batches of %d bytes", rma.ErrInvalidArgument, n)
		}
		c.batchBytes = n
		return nil
	}
}

// WithProgress calls fn with this rank's counters about every interval
// while the job maps, and once when it ends; fn runs on the goroutine that
// called Run or Reduce.
func WithProgress(every time.Duration, fn func(Stats)) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: a nil progress function", rma.ErrInvalidArgument)
		}
		if every <= 0 {
			return fmt.Errorf("%w: progress every %v", rma.ErrInvalidArgument, every)
		}
		c.progress, c.every = fn, every
		return nil
	}
}

// Option configures a job.
type Option func(*config) error

// WithCombineEntries sets how many distinct keys a rank combines in memory
// before it ships them to their reducers (default 65 536): the mapping
// side's memory bound, in keys.
func WithCombineEntries(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: combine %d entries", rma.ErrInvalidArgument, n)
		}
		c.combineEntries = n
		return nil
	}
}

// WithBatchPairs sets the most pairs in one shuffle message (default
// 8 192).
func WithBatchPairs(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: batches of %d pairs", rma.ErrInvalidArgument, n)
		}
		c.batchPairs = n
		return nil
	}
}

// WithPartitioner sets which rank owns a key: fn gets the key and the
// number of ranks and returns a rank. Every rank must use the same
// function. The default hashes the key (FNV-1a of its bytes, the same on
// every rank).
func WithPartitioner[K cmp.Ordered](fn func(key K, ranks int) int) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: nil partitioner", rma.ErrInvalidArgument)
		}
		c.partition = func(key any, ranks int) int { return fn(key.(K), ranks) }
		return nil
	}
}

// hashPartition hashes a key of any ordered type the same way on every
// rank (the runtime's map hash is seeded per process, so it cannot serve).
func hashPartition(key any, ranks int) int {
	h := fnv.New64a()
	v := reflect.ValueOf(key)
	var buf [8]byte
	put := func(x uint64) {
		for i := range buf {
			buf[i] = byte(x >> (8 * i))
		}
		h.Write(buf[:])
	}
	switch v.Kind() {
	case reflect.String:
		h.Write([]byte(v.String()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		put(uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		put(v.Uint())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if f == 0 {
			f = 0 // -0 and +0 are one key
		}
		put(math.Float64bits(f))
	}
	return int(h.Sum64() % uint64(ranks))
}
