package mapreduce

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"time"
	"unsafe"

	"github.com/rmactor/rmactor/rma"
)

// config is a job's options.
type config struct {
	combineEntries int
	batchPairs     int
	batchBytes     int
	memory         int64
	tempDir        string
	partition      any // func(key K, ranks int) int, or nil for hashPartition
	progress       func(Stats)
	every          time.Duration
	codecShuffle   bool // encoded batches even for pairs of fixed shape (benchmarks)
}

// DefaultMemory is a job's memory budget per rank unless WithMemory sets
// another.
const DefaultMemory = 512 << 20

func defaultConfig() config {
	return config{combineEntries: 1 << 20, batchPairs: 1 << 13, batchBytes: 1 << 20, memory: DefaultMemory}
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
// before it ships them to their reducers (default 1 048 576). The table is
// also shipped when its estimated bytes pass a quarter of WithMemory on
// one rank (where it becomes the partition as it is), or the smaller of
// that and 8 MiB on several (so owners fold while mappers map).
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
		c.partition = fn
		return nil
	}
}

// partitioner is the job's key-to-rank function: the one WithPartitioner
// set, which must take this job's key type, or hashPartition.
func partitioner[K cmp.Ordered](c config) (func(K, int) int, error) {
	if c.partition == nil {
		return hashPartition[K](), nil
	}
	fn, ok := c.partition.(func(K, int) int)
	if !ok {
		return nil, fmt.Errorf("%w: a partitioner of %T for keys of type %v", rma.ErrInvalidArgument, c.partition, reflect.TypeFor[K]())
	}
	return fn, nil
}

// hashPartition hashes a key of any ordered type the same way on every
// rank (the runtime's map hash is seeded per process, so it cannot serve):
// FNV-1a of a string's bytes, or of a number's 8 little-endian bytes.
func hashPartition[K cmp.Ordered]() func(K, int) int {
	const offset, prime = 14695981039346656037, 1099511628211
	str := func(s string) uint64 {
		h := uint64(offset)
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * prime
		}
		return h
	}
	word := func(x uint64) uint64 {
		h := uint64(offset)
		for range 8 {
			h = (h ^ (x & 0xff)) * prime
			x >>= 8
		}
		return h
	}
	var h func(K) uint64
	t := reflect.TypeFor[K]()
	switch t.Kind() {
	case reflect.String:
		h = func(k K) uint64 { return str(*(*string)(unsafe.Pointer(&k))) }
	case reflect.Float32:
		h = func(k K) uint64 { return word(math.Float64bits(float64(*(*float32)(unsafe.Pointer(&k))) + 0)) }
	case reflect.Float64:
		// + 0 makes -0 into +0: one key.
		h = func(k K) uint64 { return word(math.Float64bits(*(*float64)(unsafe.Pointer(&k)) + 0)) }
	case reflect.Int8:
		h = func(k K) uint64 { return word(uint64(*(*int8)(unsafe.Pointer(&k)))) }
	case reflect.Int16:
		h = func(k K) uint64 { return word(uint64(*(*int16)(unsafe.Pointer(&k)))) }
	case reflect.Int32:
		h = func(k K) uint64 { return word(uint64(*(*int32)(unsafe.Pointer(&k)))) }
	case reflect.Int, reflect.Int64:
		h = func(k K) uint64 { return word(uint64(*(*int64)(unsafe.Pointer(&k)))) }
	case reflect.Uint8:
		h = func(k K) uint64 { return word(uint64(*(*uint8)(unsafe.Pointer(&k)))) }
	case reflect.Uint16:
		h = func(k K) uint64 { return word(uint64(*(*uint16)(unsafe.Pointer(&k)))) }
	case reflect.Uint32:
		h = func(k K) uint64 { return word(uint64(*(*uint32)(unsafe.Pointer(&k)))) }
	default: // uint, uint64, uintptr (64 bits on the platforms rmactor runs on)
		h = func(k K) uint64 { return word(*(*uint64)(unsafe.Pointer(&k))) }
	}
	return func(k K, ranks int) int {
		if ranks == 1 {
			return 0
		}
		return int(h(k) % uint64(ranks))
	}
}
