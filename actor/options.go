package actor

import (
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

// Option configures a System. Every rank must pass the same mailbox options.
type Option func(*config) error

type config struct {
	codec       *codec.Codec
	logger      *zap.Logger
	protoLevel  zapcore.Level
	mailbox     []mailbox.Option
	capacity    int
	activate    Activator
	encodeLocal bool
}

// Activator makes the props of an actor that does not exist yet, by id, so
// that the first message to it from another rank spawns it (virtual
// actors). It returns false for ids it does not know.
type Activator func(id string) (*Props, bool)

func defaultConfig() config {
	return config{
		logger: zap.New(zapcore.NewCore(
			zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
			zapcore.Lock(os.Stderr), zap.WarnLevel)),
		protoLevel: zap.WarnLevel,
		capacity:   mailbox.DefaultConfig().Capacity,
	}
}

// WithCodec sets how messages that cross ranks are encoded: protobuf
// messages and the codec's built-in Go types (codec.BuiltinNames) always
// work; other plain Go types must be registered in the codec. The default
// codec knows protobuf messages and the built-in types only.
func WithCodec(c *codec.Codec) Option {
	return func(cfg *config) error {
		if c == nil {
			return fmt.Errorf("%w: nil codec", rma.ErrInvalidArgument)
		}
		cfg.codec = c
		return nil
	}
}

// WithLogger sets the zap logger of the runtime (the default writes
// warnings and errors to stderr). protoactor's own logs go to the same
// logger through log/slog, at WithProtoactorLogLevel and above.
func WithLogger(l *zap.Logger) Option {
	return func(cfg *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", rma.ErrInvalidArgument)
		}
		cfg.logger = l
		return nil
	}
}

// WithProtoactorLogLevel sets the lowest level of protoactor's own logs that
// reach the logger (default warn: protoactor is chatty at info).
func WithProtoactorLogLevel(l zapcore.Level) Option {
	return func(cfg *config) error { cfg.protoLevel = l; return nil }
}

// WithMailboxCapacity sets the slots of every actor's mailbox ring; senders
// outside actors (System.Send) wait while this many messages are queued.
func WithMailboxCapacity(n int) Option {
	return func(cfg *config) error {
		if n < 1 {
			return fmt.Errorf("%w: mailbox capacity %d", rma.ErrInvalidArgument, n)
		}
		cfg.capacity = n
		cfg.mailbox = append(cfg.mailbox, mailbox.WithCapacity(n))
		return nil
	}
}

// WithAggregation turns batching of small cross-rank messages on (the
// default) or off.
func WithAggregation(on bool) Option { return withMailbox(mailbox.WithAggregation(on)) }

// WithMaxMessageBytes sets the largest message, encoded with its envelope,
// a send may carry (default 256 MiB; at most 4 GiB - 1). A larger one is
// refused with ErrTooLarge, on the same rank as across ranks.
func WithMaxMessageBytes(n int) Option { return withMailbox(mailbox.WithMaxMessageBytes(n)) }

// WithSlotBytes sets the bytes of a mailbox slot (default 2 KiB): messages
// up to about this size travel inline, in one put; larger ones are staged.
func WithSlotBytes(n int) Option { return withMailbox(mailbox.WithSlotBytes(n)) }

// WithArenaBytes sets the bytes of each rank's mailbox window (default
// 64 MiB): it holds every mailbox ring of the rank, so with the slot size
// and the mailbox capacity it bounds how many actors a rank hosts.
func WithArenaBytes(n int) Option { return withMailbox(mailbox.WithArenaBytes(n)) }

// WithStaging sets each rank's staging window for large messages (the
// bytes of them in flight from it, default 8 MiB) and the chunk it is cut
// into (default 256 KiB): 4 KiB to 64 MiB, at least 4 chunks a window.
func WithStaging(windowBytes, chunkBytes int) Option {
	return withMailbox(mailbox.WithStaging(windowBytes, chunkBytes))
}

// WithInboxCapacity sets the slots of each rank's inbox, where replies to
// requests and messages to actors not yet known arrive (default 256).
func WithInboxCapacity(n int) Option { return withMailbox(mailbox.WithInboxCapacity(n)) }

// WithFlushDelay bounds how long a batch of small messages waits for
// company before it is sent (0 to 1 s).
func WithFlushDelay(d time.Duration) Option { return withMailbox(mailbox.WithFlushDelay(d)) }

// RelayMode chooses how messages reach other ranks' mailboxes: RelayAuto
// (the default) relays them as MPI messages between ranks that do not
// share node memory and puts them one-sided into the target's ring
// otherwise; RelayOn relays between all ranks; RelayOff never relays. The
// environment variable RMACTOR_RELAY=auto|on|off sets it too.
type RelayMode = mailbox.RelayMode

// The relay modes.
const (
	RelayAuto = mailbox.RelayAuto
	RelayOn   = mailbox.RelayOn
	RelayOff  = mailbox.RelayOff
)

// WithRelay sets the relay mode (RelayMode).
func WithRelay(m RelayMode) Option { return withMailbox(mailbox.WithRelay(m)) }

// withMailbox passes an option to the mailbox layer.
func withMailbox(o mailbox.Option) Option {
	return func(cfg *config) error {
		cfg.mailbox = append(cfg.mailbox, o)
		return nil
	}
}

// WithActivator spawns, on its first message from another rank, a named
// actor that does not exist yet but that activate knows.
func WithActivator(activate Activator) Option {
	return func(cfg *config) error {
		if activate == nil {
			return fmt.Errorf("%w: nil activator", rma.ErrInvalidArgument)
		}
		cfg.activate = activate
		return nil
	}
}

// WithEncodeLocal makes messages between actors of the same rank go through
// the codec too (encoded, size-checked and decoded into the copy the actor
// gets), as messages between ranks do. It costs an encoding per message;
// test suites turn it on so that a one-rank test meets what N ranks would
// (an unregistered type, a message over the maximum size, an actor that
// keeps a pointer to what it sent). Without it, same-rank messages are
// only checked to be of a type the codec knows.
func WithEncodeLocal(on bool) Option {
	return func(cfg *config) error { cfg.encodeLocal = on; return nil }
}
