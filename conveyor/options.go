package conveyor

import (
	"fmt"
	"time"

	"github.com/rmactor/rmactor/rma"
)

// Option configures a Conveyor.
type Option func(*config) error

type config struct {
	batch      int
	batchBytes int
	delay      time.Duration
	encoding   any // an Encoding[T] for the Conveyor's T
}

// DefaultBatch is the most values one batch carries, by default.
const DefaultBatch = 1024

// DefaultBatchBytes bounds a batch's values in bytes, by default: large
// values make smaller batches.
const DefaultBatchBytes = 64 << 10

// DefaultFlushDelay is how long a value may wait in a part-filled buffer
// before the conveyor's timer sends it, by default.
const DefaultFlushDelay = 200 * time.Microsecond

func defaultConfig() config {
	return config{batch: DefaultBatch, batchBytes: DefaultBatchBytes, delay: DefaultFlushDelay}
}

// WithBatch sets the most values one batch (one message to one rank)
// carries: the per-destination buffer's size, at least 1.
func WithBatch(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 1<<24 {
			return fmt.Errorf("%w: conveyor batch of %d values (1 to %d)", rma.ErrInvalidArgument, n, 1<<24)
		}
		c.batch = n
		return nil
	}
}

// WithBatchBytes bounds one batch's values in bytes (at least one value
// always fits), so that large values make smaller batches.
func WithBatchBytes(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: conveyor batch of %d bytes", rma.ErrInvalidArgument, n)
		}
		c.batchBytes = n
		return nil
	}
}

// WithFlushDelay sets how long a value may wait in a part-filled buffer
// before the conveyor's timer sends it (positive). Quiesce, Done and Flush
// send part-filled buffers at once.
func WithFlushDelay(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: conveyor flush delay %v", rma.ErrInvalidArgument, d)
		}
		c.delay = d
		return nil
	}
}

// WithEncoding gives the values their own fixed-size encoding, for a
// Conveyor[T] (New fails with ErrNotFixed if T differs). Without it, T must
// be of fixed shape.
func WithEncoding[T any](e Encoding[T]) Option {
	return func(c *config) error {
		if e == nil {
			return fmt.Errorf("%w: nil conveyor encoding", rma.ErrInvalidArgument)
		}
		c.encoding = e
		return nil
	}
}
