package local_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

const (
	benchMsgSize  = 64
	benchCapacity = 1024
)

// goChanRate moves n 64-byte values through a buffered Go channel between
// two goroutines and returns messages per second.
func goChanRate(n int) float64 {
	ch := make(chan [benchMsgSize]byte, benchCapacity)
	start := time.Now()
	go func() {
		var v [benchMsgSize]byte
		for i := range n {
			v[0] = byte(i)
			ch <- v
		}
		close(ch)
	}()
	var sink byte
	for v := range ch {
		sink ^= v[0]
	}
	_ = sink
	return float64(n) / time.Since(start).Seconds()
}

// ringRate moves n 64-byte messages from producers ranks to consumers ranks
// through one channel owned by rank 0 (a consumer) and returns messages per
// second, timed from the first put to the last take.
func ringRate(b *testing.B, producers, consumers, n int) float64 {
	b.Helper()
	var elapsed time.Duration
	err := local.Run(context.Background(), producers+consumers, func(ctx context.Context, w rma.World) error {
		ch, err := rma.NewChannel(ctx, w, 0, benchCapacity, benchMsgSize, rma.WithClaims(n))
		if err != nil {
			return err
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		start := time.Now()
		if w.Rank() >= consumers {
			p := w.Rank() - consumers
			msg := make([]byte, benchMsgSize)
			for i := p; i < n; i += producers {
				msg[0] = byte(i)
				if err := ch.Put(ctx, msg); err != nil {
					return err
				}
			}
		} else {
			buf := make([]byte, 0, benchMsgSize)
			for {
				if _, err := ch.TakeAppend(ctx, buf[:0]); err != nil {
					if errors.Is(err, rma.ErrNoMore) {
						break
					}
					return err
				}
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 0 {
			elapsed = time.Since(start)
		}
		return ch.Close(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
	return float64(n) / elapsed.Seconds()
}

// BenchmarkRatio1P1C is the headline figure: one producer rank, one
// consumer rank (the owner), 64-byte messages, next to a Go buffered channel
// of 64-byte values measured in the same run. ratio = ring / Go channel.
func BenchmarkRatio1P1C(b *testing.B) {
	n := max(b.N, 1000)
	gc := goChanRate(n)
	rr := ringRate(b, 1, 1, n)
	b.ReportMetric(rr, "ring-msg/s")
	b.ReportMetric(gc, "gochan-msg/s")
	b.ReportMetric(rr/gc, "ratio")
}

// Benchmark4P1C: four producer ranks into one consumer.
func Benchmark4P1C(b *testing.B) {
	b.ReportMetric(ringRate(b, 4, 1, max(b.N, 1000)), "msg/s")
}

// Benchmark1P4C: one producer rank, four consumer ranks (one is the owner).
func Benchmark1P4C(b *testing.B) {
	b.ReportMetric(ringRate(b, 1, 4, max(b.N, 1000)), "msg/s")
}

// BenchmarkPutFOutstanding: a producer issues all its PutFs before waiting
// for any, so most are outstanding at once on a 64-slot ring.
func BenchmarkPutFOutstanding(b *testing.B) {
	n := max(b.N, 1000)
	var elapsed time.Duration
	err := local.Run(context.Background(), 2, func(ctx context.Context, w rma.World) error {
		ch, err := rma.NewChannel(ctx, w, 0, 64, benchMsgSize, rma.WithClaims(n))
		if err != nil {
			return err
		}
		start := time.Now()
		if w.Rank() == 1 {
			msg := make([]byte, benchMsgSize)
			futs := make([]*rma.Future[struct{}], n)
			for i := range n {
				futs[i] = ch.PutF(msg)
			}
			for _, f := range futs {
				if _, err := f.Wait(ctx); err != nil {
					return err
				}
			}
		} else {
			buf := make([]byte, 0, benchMsgSize)
			for i := 0; i < n; i++ {
				if _, err := ch.TakeAppend(ctx, buf[:0]); err != nil {
					return err
				}
			}
			elapsed = time.Since(start)
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return ch.Close(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msg/s")
}
