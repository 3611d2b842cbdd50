package mapreduce

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"

	"github.com/rmactor/rmactor/rma"
)

// config is a job's options.
type config struct {
	combineEntries int
	batchPairs     int
	partition      func(key any, ranks int) int
}

func defaultConfig() config {
	return config{combineEntries: 1 << 16, batchPairs: 1 << 13, partition: hashPartition}
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
