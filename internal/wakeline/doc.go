// Package wakeline lets a rank that has nothing to do sleep until another
// rank on the same machine has work for it, instead of polling with timers.
//
// A Line is an abstract Unix datagram socket named by a random 64-bit id
// and a role ("rmactor-<id>-<role>"): its owner sleeps reading it, and any
// process on the machine (in the same network namespace) wakes it by
// sending it a byte with a Waker. Sleeping goes through Go's network
// poller, so a sleeping goroutine gives its thread back to the scheduler,
// and a wake-up takes microseconds rather than the millisecond a Go timer
// takes to fire once a process is idle.
//
// The package moves bytes only: when to sleep and whom to wake is the
// mailbox package's protocol (mailbox/wake.go). Lines exist only on Linux;
// elsewhere Open fails and callers keep polling.
package wakeline
