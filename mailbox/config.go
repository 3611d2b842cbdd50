package mailbox

import (
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/rmactor/rmactor/rma"
)

// Config is a rank's mailbox configuration. Every rank of a world must use
// the same values: other ranks compute where a mailbox ring lies from them.
type Config struct {
	// Capacity is the number of slots of each actor's mailbox ring.
	Capacity int
	// SlotBytes is the largest frame one slot holds: the bound on one
	// envelope, and on one batch.
	SlotBytes int
	// ArenaBytes is each rank's window for its doorbell, inbox and mailbox
	// rings; it bounds how many actors with rings a rank hosts at once.
	ArenaBytes int
	// InboxCapacity is the number of slots of the rank's inbox, the ring
	// that carries system messages and messages to named actors.
	InboxCapacity int
	// Aggregate batches small messages to the same mailbox into one slot.
	Aggregate bool
	// FlushDelay is how long a batch may wait for more messages before it
	// is flushed; 0 flushes as soon as the flusher runs.
	FlushDelay time.Duration
	// IdleGap: the first message to a mailbox more than this long after
	// the last batch went into its ring is put at once, so a lone message
	// pays no batching delay. 1 µs by default: shorter than a round trip
	// between ranks (2.6–3.7 µs on one node), so request and reply go out
	// at once, and longer than the gap between messages of a stream (at
	// 0 every first message went alone, and a one-way stream fell from
	// 3.9–4.0 M to 2.5 M msg/s; at 5 µs, round trips waited for the
	// flusher: 4.4–4.5 µs against 3.7–3.8 µs, pingpong under mpirun -n 2).
	IdleGap time.Duration
	// MaxMessageBytes is the largest envelope (encoded message plus its
	// envelope header) one send may carry; larger ones fail with
	// ErrMessageTooLarge before anything is queued.
	MaxMessageBytes int
	// StagingBytes is each rank's staging window: envelopes too large for
	// a ring slot are copied there in chunks and read by the receiver
	// (the rendezvous path, staging.go). It bounds the large-message bytes
	// a rank has in flight; larger messages are pipelined through it.
	StagingBytes int
	// ChunkBytes is the size of one staging block: the unit in which large
	// envelopes are staged, read and released.
	ChunkBytes int
	// Wakeups lets idle ranks on one machine sleep until another rank has
	// work for them, and be woken at once (wake.go), rather than poll
	// with timers that wake them a millisecond late. Ranks may differ.
	Wakeups bool
	// Relay chooses whether frames for other ranks travel as two-sided
	// messages relayed by the receiver (relay.go) or are put into the
	// target's ring; RelayAuto relays across hosts. Every rank must use
	// the same value.
	Relay RelayMode
	// Logger receives the package's logs.
	Logger *zap.Logger

	pollerNap time.Duration // tests: the poller's longest sleep (wake.go)
}

// Option changes a Config.
type Option func(*Config) error

// Defaults of the large-message path.
const (
	DefaultMaxMessageBytes = 256 << 20
	DefaultStagingBytes    = 8 << 20
	DefaultChunkBytes      = 256 << 10
)

// DefaultConfig is 16-slot mailboxes of 2 KiB slots in a 64 MiB arena,
// with aggregation on; envelopes up to 256 MiB, larger than a slot ones
// through an 8 MiB staging window in 256 KiB chunks; wake-ups on.
func DefaultConfig() Config {
	return Config{
		Capacity:        16,
		SlotBytes:       2048,
		ArenaBytes:      64 << 20,
		InboxCapacity:   256,
		Aggregate:       true,
		IdleGap:         time.Microsecond,
		MaxMessageBytes: DefaultMaxMessageBytes,
		StagingBytes:    DefaultStagingBytes,
		ChunkBytes:      DefaultChunkBytes,
		Wakeups:         true,
		Logger:          zap.NewNop(),
	}
}

// WithMaxMessageBytes sets the largest envelope a send may carry (at least
// one byte, at most 4 GiB - 1).
func WithMaxMessageBytes(n int) Option {
	return func(c *Config) error {
		if n < 1 || uint64(n) > maxTotal {
			return fmt.Errorf("%w: maximum message of %d bytes", rma.ErrInvalidArgument, n)
		}
		c.MaxMessageBytes = n
		return nil
	}
}

// WithStaging sets the staging window of each rank (the bytes of large
// envelopes in flight from it) and the chunk size it is cut into. The
// window holds at least 4 chunks; chunks are 4 KiB to 64 MiB.
func WithStaging(windowBytes, chunkBytes int) Option {
	return func(c *Config) error {
		if chunkBytes < 4<<10 || chunkBytes > 64<<20 || chunkBytes%8 != 0 {
			return fmt.Errorf("%w: staging chunk of %d bytes (4 KiB to 64 MiB, a multiple of 8)", rma.ErrInvalidArgument, chunkBytes)
		}
		if windowBytes < 4*chunkBytes || windowBytes/chunkBytes > maxBlocks {
			return fmt.Errorf("%w: staging window of %d bytes holds %d chunks of %d (4 to %d)",
				rma.ErrInvalidArgument, windowBytes, windowBytes/chunkBytes, chunkBytes, maxBlocks)
		}
		c.StagingBytes, c.ChunkBytes = windowBytes, chunkBytes
		return nil
	}
}

// WithCapacity sets the number of slots of every mailbox ring (at least 1).
func WithCapacity(n int) Option {
	return func(c *Config) error {
		if n < 1 {
			return fmt.Errorf("%w: mailbox capacity %d", rma.ErrInvalidArgument, n)
		}
		c.Capacity = n
		return nil
	}
}

// WithSlotBytes sets the largest frame (envelope or batch) a slot holds.
func WithSlotBytes(n int) Option {
	return func(c *Config) error {
		if n < minFrameLength+8 || n > rma.MaxMessageSize {
			return fmt.Errorf("%w: slot of %d bytes", rma.ErrInvalidArgument, n)
		}
		c.SlotBytes = n
		return nil
	}
}

// WithArenaBytes sets each rank's mailbox window size.
func WithArenaBytes(n int) Option {
	return func(c *Config) error {
		if n <= 0 {
			return fmt.Errorf("%w: arena of %d bytes", rma.ErrInvalidArgument, n)
		}
		c.ArenaBytes = n
		return nil
	}
}

// WithInboxCapacity sets the number of slots of each rank's inbox.
func WithInboxCapacity(n int) Option {
	return func(c *Config) error {
		if n < 1 {
			return fmt.Errorf("%w: inbox capacity %d", rma.ErrInvalidArgument, n)
		}
		c.InboxCapacity = n
		return nil
	}
}

// WithAggregation turns batching of small messages on or off.
func WithAggregation(on bool) Option {
	return func(c *Config) error { c.Aggregate = on; return nil }
}

// WithFlushDelay bounds how long a batch waits for company (0 to 1 s).
func WithFlushDelay(d time.Duration) Option {
	return func(c *Config) error {
		if d < 0 || d > time.Second {
			return fmt.Errorf("%w: flush delay %v", rma.ErrInvalidArgument, d)
		}
		c.FlushDelay = d
		return nil
	}
}

// WithLogger sets the logger; nil keeps the silent default.
func WithLogger(l *zap.Logger) Option {
	return func(c *Config) error {
		if l != nil {
			c.Logger = l
		}
		return nil
	}
}

// WithRelay sets Config.Relay.
func WithRelay(m RelayMode) Option {
	return func(c *Config) error {
		if m < RelayAuto || m > RelayOff {
			return fmt.Errorf("%w: %v", rma.ErrInvalidArgument, m)
		}
		c.Relay = m
		return nil
	}
}

// WithWakeups turns wake-ups between ranks on one machine on (the default)
// or off (Config.Wakeups).
func WithWakeups(on bool) Option {
	return func(c *Config) error { c.Wakeups = on; return nil }
}
