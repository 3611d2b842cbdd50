//go:build linux

package wakeline

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func returns(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

// A wake-up ends a sleep, whether it comes before or during it; a line
// that is closed ends it too; waking a line that does not exist is no
// error.
func TestWake(t *testing.T) {
	id := rand.Uint64()
	l, err := Open(id, "p")
	require.NoError(t, err)
	w, err := NewWaker()
	require.NoError(t, err)
	defer w.Close()

	require.NoError(t, w.Wake(id, "p"))
	returns(t, "a sleep after a wake-up", func() { l.Sleep(time.Hour) })

	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		close(started)
		l.Sleep(time.Hour)
	}()
	<-started
	require.NoError(t, w.Wake(id, "p"))
	returns(t, "a sleep woken while under way", func() { <-done })

	// Many wake-ups queue: Drain drops them, after which a sleep waits
	// for its timeout.
	for range 100 {
		require.NoError(t, w.Wake(id, "p"))
	}
	l.Drain()
	before := time.Now()
	l.Sleep(20 * time.Millisecond)
	require.GreaterOrEqual(t, time.Since(before), 20*time.Millisecond, "a drained line still had a wake-up")

	// A line with the same id but another role is another line.
	other, err := Open(id, "f")
	require.NoError(t, err)
	require.NoError(t, w.Wake(id, "f"))
	returns(t, "the other role's sleep", func() { other.Sleep(time.Hour) })
	require.NoError(t, other.Close())

	done = make(chan struct{})
	go func() { defer close(done); l.Sleep(time.Hour) }()
	require.NoError(t, l.Close())
	returns(t, "a sleep on a closed line", func() { <-done })

	require.NoError(t, w.Wake(id, "p"), "a line that is gone")
	require.NoError(t, w.Wake(rand.Uint64(), "p"), "a line that never was")
}

// Two lines cannot share a name.
func TestOpenTwice(t *testing.T) {
	id := rand.Uint64()
	l, err := Open(id, "p")
	require.NoError(t, err)
	defer l.Close()
	_, err = Open(id, "p")
	require.Error(t, err)
}
