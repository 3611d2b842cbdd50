// Package conveyortest holds the conveyor cases that every backend runs: in
// process (package conveyor's tests) and under mpirun (conveyor/mpitest).
package conveyortest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/conveyor"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/rmatest"
)

// Run runs the cases on the launcher's worlds (every case adapts to the
// world's size; in process each asks for its own).
func Run(t *testing.T, launch rmatest.Launcher) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			err := launch(ctx, c.ranks, func(ctx context.Context, w rma.World) error {
				return cluster.RunOn(ctx, w, cluster.Config{System: c.system}, c.run)
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

type testCase struct {
	name   string
	ranks  int
	run    func(ctx context.Context, c *cluster.Cluster) error
	system []actor.Option // the case's actor system options, if any
}

var cases = []testCase{
	{"HistogramOnOneRank", 1, histogram, nil},
	{"Histogram", 3, histogram, nil},
	{"RequestReplyFromHandlers", 3, requestReply, nil},
	{"OrderPerSenderAndRank", 2, order, nil},
	{"TimerFlushesPartBuffers", 2, timerFlush, nil},
	{"HeldValuesCountInFlight", 2, heldInFlight, nil},
	{"OwnEncoding", 2, ownEncoding, nil},
	{"HandlerErrorReachesEveryRank", 3, handlerError, nil},
	{"BadInput", 2, badInput, nil},
	{"NoWaitSendsQueueWhileTheOwnerIsBusy", 2, noWait, []actor.Option{actor.WithMailboxCapacity(1)}},
	{"UnclosedConveyorLeavesNothingRunning", 2, unclosed, nil},
}

// update is a histogram update: add Add to entry Index of its owner.
type update struct {
	Index uint32
	Add   int32
}

// histogram: every rank adds to random entries of a table spread over the
// ranks, in batches small enough that most go out full, and the sums per
// entry match a replay of every rank's updates.
func histogram(ctx context.Context, c *cluster.Cluster) error {
	const perRank, entries = 20000, 101
	size := c.Size()
	table := make([]int64, entries)
	cv, err := conveyor.New(ctx, c, "histogram", func(_ context.Context, _ int, u update) error {
		table[int(u.Index)/size] += int64(u.Add)
		return nil
	}, conveyor.WithBatch(97))
	if err != nil {
		return err
	}
	defer cv.Close(ctx)
	gen := func(k int, fn func(idx uint32, add int32) error) error {
		rng := rand.New(rand.NewPCG(uint64(k), 7))
		for range perRank {
			if err := fn(uint32(rng.IntN(entries*size)), int32(rng.IntN(5))-1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := gen(c.Rank(), func(idx uint32, add int32) error {
		return cv.Send(ctx, int(idx)%size, update{Index: idx, Add: add})
	}); err != nil {
		return err
	}
	if err := cv.Done(ctx); err != nil {
		return err
	}
	want := make([]int64, entries*size)
	for k := range size {
		_ = gen(k, func(idx uint32, add int32) error { want[idx] += int64(add); return nil })
	}
	for i, got := range table {
		if w := want[i*size+c.Rank()]; got != w {
			return fmt.Errorf("rank %d entry %d: %d, want %d", c.Rank(), i*size+c.Rank(), got, w)
		}
	}
	st := cv.Stats()
	if st.Sent != perRank || st.Dropped != 0 {
		return fmt.Errorf("stats %+v: want %d sent, none dropped", st, perRank)
	}
	return nil
}

// request asks rank Owner for entry Index, on behalf of slot Slot.
type request struct{ Index, Slot int64 }

// reply answers a request.
type reply struct{ Slot, Value int64 }

// requestReply is index-gather: handlers of one conveyor send on another,
// and Done on the first waits for the replies too.
func requestReply(ctx context.Context, c *cluster.Cluster) error {
	const reads = 5000
	size := c.Size()
	got := make([]int64, reads)
	replies, err := conveyor.New(ctx, c, "replies", func(_ context.Context, _ int, r reply) error {
		got[r.Slot] = r.Value
		return nil
	}, conveyor.WithBatch(64))
	if err != nil {
		return err
	}
	defer replies.Close(ctx)
	requests, err := conveyor.New(ctx, c, "requests", func(ctx context.Context, from int, r request) error {
		return replies.Send(ctx, from, reply{Slot: r.Slot, Value: 3*r.Index + 1})
	}, conveyor.WithBatch(50))
	if err != nil {
		return err
	}
	defer requests.Close(ctx)
	rng := rand.New(rand.NewPCG(uint64(c.Rank()), 1))
	idx := make([]int64, reads)
	for i := range idx {
		idx[i] = rng.Int64N(int64(1000 * size))
		if err := requests.Send(ctx, int(idx[i])%size, request{Index: idx[i], Slot: int64(i)}); err != nil {
			return err
		}
	}
	if err := requests.Done(ctx); err != nil {
		return err
	}
	for i, v := range got {
		if v != 3*idx[i]+1 {
			return fmt.Errorf("rank %d read %d (entry %d): %d, want %d", c.Rank(), i, idx[i], v, 3*idx[i]+1)
		}
	}
	return replies.Done(ctx)
}

// order: two goroutines of each rank send numbered values to every rank;
// each sender goroutine's values arrive in order.
func order(ctx context.Context, c *cluster.Cluster) error {
	type seqv struct{ Sender, Seq int64 }
	const n = 3000
	size := c.Size()
	last := map[[2]int64]int64{}
	var bad error
	cv, err := conveyor.New(ctx, c, "order", func(_ context.Context, from int, v seqv) error {
		key := [2]int64{int64(from), v.Sender}
		if prev, ok := last[key]; ok && v.Seq != prev+1 && bad == nil {
			bad = fmt.Errorf("from rank %d goroutine %d: %d after %d", from, v.Sender, v.Seq, prev)
		}
		last[key] = v.Seq
		return nil
	}, conveyor.WithBatch(33), conveyor.WithFlushDelay(time.Microsecond))
	if err != nil {
		return err
	}
	defer cv.Close(ctx)
	errs := make(chan error, 2)
	for g := range 2 {
		go func() {
			for i := range n {
				for k := range size {
					if err := cv.Send(ctx, k, seqv{Sender: int64(g), Seq: int64(i)}); err != nil {
						errs <- err
						return
					}
				}
			}
			errs <- nil
		}()
	}
	if err := errors.Join(<-errs, <-errs); err != nil {
		return err
	}
	if err := cv.Done(ctx); err != nil {
		return err
	}
	if bad != nil {
		return bad
	}
	if len(last) != 2*size {
		return fmt.Errorf("rank %d heard from %d senders, want %d", c.Rank(), len(last), 2*size)
	}
	return nil
}

// timerFlush: one value in a part-filled buffer arrives without Flush or
// Done, sent by the timer.
func timerFlush(ctx context.Context, c *cluster.Cluster) error {
	arrived := make(chan int, 1)
	cv, err := conveyor.New(ctx, c, "timer", func(_ context.Context, from int, v int64) error {
		arrived <- from
		return nil
	}, conveyor.WithFlushDelay(time.Millisecond))
	if err != nil {
		return err
	}
	defer cv.Close(ctx)
	peer := (c.Rank() + 1) % c.Size()
	if err := cv.Send(ctx, peer, 42); err != nil {
		return err
	}
	select {
	case from := <-arrived:
		if want := (c.Rank() + c.Size() - 1) % c.Size(); from != want {
			return fmt.Errorf("value from rank %d, want %d", from, want)
		}
	case <-ctx.Done():
		return fmt.Errorf("the timer never sent a part-filled buffer: %w", ctx.Err())
	}
	return cv.Done(ctx)
}

// heldInFlight: a part-filled buffer counts as a message sent (so that
// Quiesce cannot end while it waits), and sending it counts the batch.
func heldInFlight(ctx context.Context, c *cluster.Cluster) error {
	cv, err := conveyor.New(ctx, c, "held", func(context.Context, int, int64) error { return nil },
		conveyor.WithFlushDelay(time.Hour))
	if err != nil {
		return err
	}
	defer cv.Close(ctx)
	sent0, _ := c.System().Counts()
	for range 3 {
		if err := cv.Send(ctx, (c.Rank()+1)%c.Size(), 1); err != nil {
			return err
		}
	}
	sent1, _ := c.System().Counts()
	if sent1 != sent0+1 {
		return fmt.Errorf("a held buffer counted %d messages sent, want 1", sent1-sent0)
	}
	if err := cv.Flush(ctx); err != nil {
		return err
	}
	if sent2, _ := c.System().Counts(); sent2 != sent1+1 {
		return fmt.Errorf("flushing a buffer counted %d messages sent, want 1", sent2-sent1)
	}
	return cv.Done(ctx)
}

// noWait: while a rank's handler is held, the rank sends many one-value
// batches to itself, where System.Send waits while more than the mailbox
// capacity (1) are queued: with a NoWait ctx every Send returns (a waiting
// one would block for ever, as only this goroutine releases the handler);
// then all of them are handled.
func noWait(ctx context.Context, c *cluster.Cluster) error {
	const n = 50
	release := make(chan struct{})
	var got int
	cv, err := conveyor.New(ctx, c, "nowait", func(_ context.Context, _ int, v int32) error {
		if got == 0 {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		got++
		return nil
	}, conveyor.WithBatch(1))
	if err != nil {
		return err
	}
	defer cv.Close(ctx)
	for i := range n {
		if err := cv.Send(conveyor.NoWait(ctx), c.Rank(), int32(i)); err != nil {
			return err
		}
	}
	close(release)
	if err := cv.Done(ctx); err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("rank %d handled %d values, want %d", c.Rank(), got, n)
	}
	return nil
}

// unclosed: a conveyor that is never closed, with its timer armed and
// values still buffered when the program returns: the job's Quiesce sends
// them, and nothing keeps running afterwards (goleak, in process).
func unclosed(ctx context.Context, c *cluster.Cluster) error {
	cv, err := conveyor.New(ctx, c, "unclosed", func(context.Context, int, uint16) error { return nil },
		conveyor.WithFlushDelay(time.Hour))
	if err != nil {
		return err
	}
	return cv.Send(ctx, (c.Rank()+1)%c.Size(), 7)
}

// word is a string of at most 15 bytes, with its own fixed-size encoding.
type word string

type wordEncoding struct{}

func (wordEncoding) Size() int { return 16 }
func (wordEncoding) Put(b []byte, v *word) {
	b[0] = byte(copy(b[1:], *v))
}
func (wordEncoding) Get(b []byte, v *word) { *v = word(b[1 : 1+int(b[0])]) }

func ownEncoding(ctx context.Context, c *cluster.Cluster) error {
	var got []word
	cv, err := conveyor.New(ctx, c, "words", func(_ context.Context, _ int, w word) error {
		got = append(got, w)
		return nil
	}, conveyor.WithEncoding[word](wordEncoding{}))
	if err != nil {
		return err
	}
	defer cv.Close(ctx)
	words := []word{"", "a", "fifteen bytes!!", "ünïcode"}
	for _, w := range words {
		if err := cv.Send(ctx, 0, w); err != nil {
			return err
		}
	}
	if err := cv.Done(ctx); err != nil {
		return err
	}
	if c.Rank() == 0 && len(got) != len(words)*c.Size() {
		return fmt.Errorf("rank 0 got %d words, want %d", len(got), len(words)*c.Size())
	}
	for i, w := range got {
		if w != words[i%len(words)] {
			return fmt.Errorf("word %d: %q, want %q", i, w, words[i%len(words)])
		}
	}
	return nil
}

var errOdd = errors.New("odd value")

// handlerError: a handler failing on the last rank fails Done on every rank
// with ErrHandler naming that rank, and nothing hangs.
func handlerError(ctx context.Context, c *cluster.Cluster) error {
	last := c.Size() - 1
	cv, err := conveyor.New(ctx, c, "failing", func(_ context.Context, _ int, v uint64) error {
		if v%2 == 1 {
			return fmt.Errorf("%w: %d", errOdd, v)
		}
		return nil
	}, conveyor.WithBatch(8))
	if err != nil {
		return err
	}
	defer cv.Close(ctx)
	for i := range 100 {
		v := uint64(2 * i)
		if c.Rank() == 0 && i == 50 {
			v = 7
		}
		if err := cv.Send(ctx, last, v); err != nil {
			return err
		}
	}
	err = cv.Done(ctx)
	if !errors.Is(err, conveyor.ErrHandler) {
		return fmt.Errorf("Done: %v, want ErrHandler", err)
	}
	if want := fmt.Sprintf("rank %d: odd value: 7", last); !strings.Contains(err.Error(), want) {
		return fmt.Errorf("Done: %v, want it to say %q", err, want)
	}
	if c.Rank() == last {
		if st := cv.Stats(); st.Handled+st.Dropped != uint64(100*c.Size()) {
			return fmt.Errorf("handled %d and dropped %d of %d", st.Handled, st.Dropped, 100*c.Size())
		}
	}
	if err := cv.Send(ctx, 0, 2); !errors.Is(err, conveyor.ErrClosed) {
		return fmt.Errorf("Send after Done: %v, want ErrClosed", err)
	}
	return nil
}

// badInput: typed errors for a value type of no fixed shape, a rank out of
// range, bad options and a mistyped encoding; then a working conveyor.
func badInput(ctx context.Context, c *cluster.Cluster) error {
	nop := func(context.Context, int, string) error { return nil }
	if _, err := conveyor.New(ctx, c, "strings", nop); !errors.Is(err, conveyor.ErrNotFixed) {
		return fmt.Errorf("a conveyor of strings: %v, want ErrNotFixed", err)
	}
	type withPointer struct{ P *int }
	if _, err := conveyor.New(ctx, c, "pointers", func(context.Context, int, withPointer) error { return nil }); !errors.Is(err, conveyor.ErrNotFixed) {
		return fmt.Errorf("a conveyor of pointers: %v, want ErrNotFixed", err)
	}
	if _, err := conveyor.New(ctx, c, "mistyped", nop, conveyor.WithEncoding[word](wordEncoding{})); !errors.Is(err, conveyor.ErrNotFixed) {
		return fmt.Errorf("an Encoding[word] for strings: %v, want ErrNotFixed", err)
	}
	for _, o := range []conveyor.Option{conveyor.WithBatch(0), conveyor.WithBatchBytes(0), conveyor.WithFlushDelay(0)} {
		if _, err := conveyor.New(ctx, c, "options", func(context.Context, int, int) error { return nil }, o); !errors.Is(err, rma.ErrInvalidArgument) {
			return fmt.Errorf("a bad option: %v, want ErrInvalidArgument", err)
		}
	}
	var sum [2]uint64
	cv, err := conveyor.New(ctx, c, "arrays", func(_ context.Context, _ int, v [2]uint64) error {
		sum[0] += v[0]
		sum[1] += v[1]
		return nil
	})
	if err != nil {
		return err
	}
	defer cv.Close(ctx)
	for _, k := range []int{-1, c.Size()} {
		if err := cv.Send(ctx, k, [2]uint64{}); !errors.Is(err, conveyor.ErrInvalidRank) {
			return fmt.Errorf("Send to rank %d: %v, want ErrInvalidRank", k, err)
		}
	}
	if err := cv.Send(ctx, 0, [2]uint64{1, binary.LittleEndian.Uint64([]byte("rmactor!"))}); err != nil {
		return err
	}
	if err := cv.Done(ctx); err != nil {
		return err
	}
	if c.Rank() == 0 && sum != [2]uint64{uint64(c.Size()), uint64(c.Size()) * binary.LittleEndian.Uint64([]byte("rmactor!"))} {
		return fmt.Errorf("rank 0 summed %v", sum)
	}
	return nil
}
