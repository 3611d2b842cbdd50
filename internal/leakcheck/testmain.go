package leakcheck

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Linger is how long VerifyTestMain lets goroutines that end by themselves
// run on after the tests. protoactor's dead-letter log throttle starts a
// goroutine that lives one second (its DeadLetterThrottleInterval) after
// the first dead letter of each second; it is not ours and not a leak, but
// goleak's own retries give up after about half a second.
const Linger = 5 * time.Second

// VerifyTestMain runs the tests and, if they passed, fails the binary while
// goroutines other than the testing package's are still running: the
// package's TestMain calls it. Unlike goleak.VerifyTestMain it gives
// goroutines that are winding down up to Linger to end, so only goroutines
// that outlive that (leaks: they wait for something that never comes) fail
// it; nothing is ignored unless opts say so.
func VerifyTestMain(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	if code == 0 {
		if err := Lasting(Linger, opts...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: Errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Lasting returns goleak's report of the goroutines still running after
// linger, or nil once there are none (goleak.Find retries with back-off
// for about half a second each call).
func Lasting(linger time.Duration, opts ...goleak.Option) error {
	deadline := time.Now().Add(linger)
	for {
		err := goleak.Find(opts...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}
