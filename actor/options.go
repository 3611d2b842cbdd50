package actor

import (
	"fmt"
	"os"

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

// WithMailboxOptions passes options to the mailbox layer: slot size, arena
// size, inbox size, aggregation, flush delay.
func WithMailboxOptions(opts ...mailbox.Option) Option {
	return func(cfg *config) error {
		cfg.mailbox = append(cfg.mailbox, opts...)
		return nil
	}
}

// WithAggregation turns batching of small cross-rank messages on (the
// default) or off.
func WithAggregation(on bool) Option {
	return WithMailboxOptions(mailbox.WithAggregation(on))
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
