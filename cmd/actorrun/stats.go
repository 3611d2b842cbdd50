package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
)

// rankStats is one rank's transport counters, as gathered to rank 0.
type rankStats struct {
	MessagesSent, FramesSent, BytesSent             uint64
	MessagesReceived, FramesReceived, BytesReceived uint64
	QueueHighWater, RingHighWater                   int64
	Handled                                         uint64
	Mailboxes                                       int
}

// printStats gathers every rank's counters, once its part of the app is
// done, and prints them on rank 0 in rank order.
func printStats(ctx context.Context, c *cluster.Cluster, out io.Writer) error {
	if err := c.Barrier(ctx); err != nil {
		return err
	}
	st := c.System().Stats()
	_, handled := c.System().Counts()
	all, err := cluster.Gather(ctx, c, &rankStats{
		MessagesSent: st.MessagesSent, FramesSent: st.FramesSent, BytesSent: st.BytesSent,
		MessagesReceived: st.MessagesReceived, FramesReceived: st.FramesReceived, BytesReceived: st.BytesReceived,
		QueueHighWater: st.QueueHighWater, RingHighWater: st.RingHighWater,
		Handled: handled, Mailboxes: st.Mailboxes,
	})
	if err != nil {
		return err
	}
	for k, s := range all {
		fmt.Fprintf(out, "rank %d: sent %d messages in %d frames (%d bytes), received %d in %d (%d bytes); "+
			"handled %d; high water %d messages in a mailbox, %d frames in a ring; %d mailboxes\n",
			k, s.MessagesSent, s.FramesSent, s.BytesSent, s.MessagesReceived, s.FramesReceived, s.BytesReceived,
			s.Handled, s.QueueHighWater, s.RingHighWater, s.Mailboxes)
	}
	return nil
}

// progress prints rank 0's counters now and then while a job runs, so a
// long job shows it is moving: elapsed time, messages handled on rank 0
// and the rate since the previous line, and rank 0's traffic with other
// ranks.
type progress struct {
	out    io.Writer
	stats  func() actor.Stats
	counts func() (sent, done uint64)
	start  time.Time

	last     time.Time
	lastDone uint64
}

func newProgress(out io.Writer, stats func() actor.Stats, counts func() (sent, done uint64)) *progress {
	now := time.Now()
	return &progress{out: out, stats: stats, counts: counts, start: now, last: now}
}

// line prints one progress line for the time now.
func (p *progress) line(now time.Time) {
	_, done := p.counts()
	st := p.stats()
	rate := 0.0
	if dt := now.Sub(p.last).Seconds(); dt > 0 {
		rate = float64(done-p.lastDone) / dt
	}
	p.last, p.lastDone = now, done
	fmt.Fprintf(p.out, "actorrun: %s: rank 0 handled %d messages (%.0f/s); sent %d, received %d across ranks\n",
		now.Sub(p.start).Round(time.Second), done, rate, st.MessagesSent, st.MessagesReceived)
}

// loop prints a line on every tick until stop is closed.
func (p *progress) loop(tick <-chan time.Time, stop <-chan struct{}) {
	for {
		select {
		case now := <-tick:
			p.line(now)
		case <-stop:
			return
		}
	}
}

// run prints a line every interval in the background and returns the
// function that stops it (and waits until it has).
func (p *progress) run(every time.Duration) (stop func()) {
	t := time.NewTicker(every)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { p.loop(t.C, done) })
	return func() {
		t.Stop()
		close(done)
		wg.Wait()
	}
}
