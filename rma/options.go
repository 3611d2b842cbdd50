package rma

import (
	"fmt"
	"time"
)

// MaxClaim bounds one claim (2^40 messages). Claims and tickets are compared
// by signed 64-bit difference, so the claims outstanding at any time must stay
// below 2^62; bounding each claim keeps honest programs far from that.
const MaxClaim = 1 << 40

// ChannelOption configures a Channel at creation or attachment.
type ChannelOption func(*channelConfig) error

type channelConfig struct {
	claims      int64
	claimsSet   bool
	startTicket uint64
	backoff     Backoff
}

func defaultChannelConfig() channelConfig {
	return channelConfig{backoff: DefaultBackoff()}
}

func (c *channelConfig) apply(opts []ChannelOption) error {
	for _, o := range opts {
		if err := o(c); err != nil {
			return err
		}
	}
	return nil
}

// WithClaims opens the channel at creation with n claimed messages, so that
// consumers can start taking at once with no start-up race. Only the owner's
// value is used. Without it a channel is opened by its first Claim, and Take
// waits until then.
func WithClaims(n int) ChannelOption {
	return func(c *channelConfig) error {
		if n < 0 {
			return fmt.Errorf("%w: WithClaims(%d)", ErrNegativeClaim, n)
		}
		if n > MaxClaim {
			return fmt.Errorf("%w: WithClaims(%d) is over MaxClaim (%d)", ErrInvalidArgument, n, MaxClaim)
		}
		c.claims, c.claimsSet = int64(n), true
		return nil
	}
}

// WithStartTicket starts the channel's 64-bit ticket counters at t instead
// of 0. It exists to test counter wrap-around (for example t near 2^62);
// applications have no reason to use it. Only the owner's value is used.
func WithStartTicket(t uint64) ChannelOption {
	return func(c *channelConfig) error {
		c.startTicket = t
		return nil
	}
}

// WithBackoff sets how a blocked Put or Take waits between polls.
func WithBackoff(b Backoff) ChannelOption {
	return func(c *channelConfig) error {
		if b.Spins < 0 || b.Yields < 0 || b.YieldFor < 0 || b.MinSleep < 0 || b.MaxSleep < b.MinSleep {
			return fmt.Errorf("%w: backoff %+v", ErrInvalidArgument, b)
		}
		c.backoff = b
		return nil
	}
}

// Backoff is the wait policy of blocked operations: poll Spins times, then
// yield the processor at least Yields times and until YieldFor has passed,
// then sleep from MinSleep doubling up to MaxSleep between polls. Spinning
// alone collapses throughput when ranks outnumber cores, so yields and
// sleeps are always part of the policy.
//
// YieldFor matters for small rings: Go cannot sleep less than about a
// millisecond when the process has nothing else to run, so a producer and a
// consumer of a 100-slot ring that both go to sleep move 100 messages per
// millisecond. Yielding for a few tens of microseconds first lets the one
// hand the ring to the other while both are awake.
type Backoff struct {
	Spins    int
	Yields   int
	YieldFor time.Duration
	MinSleep time.Duration
	MaxSleep time.Duration
}

// DefaultBackoff spins briefly, yields for 50µs, then sleeps from 1µs up
// to 100µs.
func DefaultBackoff() Backoff {
	return Backoff{Spins: 32, Yields: 64, YieldFor: 50 * time.Microsecond, MinSleep: time.Microsecond, MaxSleep: 100 * time.Microsecond}
}
