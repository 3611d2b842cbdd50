package mailbox

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// A message to a rank whose poller sleeps is delivered, and with wake-ups
// on, the sender woke it; with them off, the rank still gets the message
// (by polling) and nobody sends a wake-up.
func TestWakeSleepingPoller(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("wakeups=%v", on), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sleeping := make(chan struct{})
			err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
				h := &recHandler{}
				r, err := NewRank(ctx, w, h, WithArenaBytes(256<<10), WithCapacity(4), WithInboxCapacity(4), WithWakeups(on),
					// Asleep until woken: a sleep that ended by itself
					// would need no wake-up.
					withPollerNap(time.Hour))
				if err != nil {
					return err
				}
				if got := r.Stats().Wakeups; got != on {
					return fmt.Errorf("Stats().Wakeups = %v, want %v", got, on)
				}
				if w.Rank() == 1 {
					if on {
						// Wait until the poller has gone to sleep.
						for rma.LoadLocal(r.ctl.Local(), r.layout.pollerSleepOffset()) != asleep {
							if ctx.Err() != nil {
								return ctx.Err()
							}
							runtime.Gosched()
						}
					}
					close(sleeping)
					// Not SettleInbox: it wakes the poller itself.
					for {
						if err := ctx.Err(); err != nil {
							return err
						}
						runtime.Gosched()
						h.mu.Lock()
						n := len(h.calls)
						h.mu.Unlock()
						if n > 0 {
							break
						}
					}
				} else {
					<-sleeping
					if err := r.Send(Target{Rank: 1, Inbox: true}, []byte("wake up")); err != nil {
						return err
					}
				}
				if err := r.Close(ctx); err != nil {
					return err
				}
				if sent := r.Stats().WakeupsSent; w.Rank() == 0 && (sent > 0) != on {
					return fmt.Errorf("rank 0 sent %d wake-ups with wake-ups %v", sent, on)
				}
				return nil
			})
			require.NoError(t, err)
		})
	}
}

func withPollerNap(d time.Duration) Option {
	return func(c *Config) error { c.pollerNap = d; return nil }
}
