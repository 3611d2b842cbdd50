package leakcheck

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func blockedForever(stop chan struct{}) { <-stop }

// TestLastingReportsABlockedGoroutine: a goroutine that waits for a signal
// that does not come is reported, by name.
func TestLastingReportsABlockedGoroutine(t *testing.T) {
	others := goleak.IgnoreCurrent()
	stop := make(chan struct{})
	defer close(stop)
	go blockedForever(stop)
	err := Lasting(100*time.Millisecond, others)
	if err == nil || !strings.Contains(err.Error(), "leakcheck.blockedForever") {
		t.Fatalf("Lasting = %v, want a report naming blockedForever", err)
	}
}

// TestLastingWaitsForAGoroutineWindingDown: a goroutine that ends by
// itself within the linger, as a library's one-shot timer goroutine does,
// is not reported.
func TestLastingWaitsForAGoroutineWindingDown(t *testing.T) {
	others := goleak.IgnoreCurrent()
	go func() { <-time.After(time.Second) }() // longer than one goleak.Find
	if err := Lasting(Linger, others); err != nil {
		t.Fatalf("Lasting = %v, want nil once the goroutine ended", err)
	}
}

// TestSettle: Settle waits for goroutines to end, and gives up with ctx.
func TestSettle(t *testing.T) {
	// The other tests' goroutines are gone first: the count is stable.
	if err := Lasting(Linger); err != nil {
		t.Fatal(err)
	}
	base := Take().Goroutines
	stop := make(chan struct{})
	go blockedForever(stop)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Settle(ctx, base); err == nil {
		t.Fatal("Settle returned nil with a goroutine still blocked")
	}
	close(stop)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s, err := Settle(ctx, base); err != nil || s.Goroutines > base {
		t.Fatalf("Settle = %v, %v after the goroutine could end", s, err)
	}
}
