package mapreduce

import (
	"context"
	"fmt"
	"reflect"

	"github.com/rmactor/rmactor/conveyor"
)

// pair is one key and value on the conveyor shuffle.
type pair[K, V any] struct {
	K K
	V V
}

// pairShuffle is the shuffle of a job whose keys and values are both of
// fixed shape (numbers, and arrays and structs of them): each pair is
// copied into a per-rank buffer of a conveyor and handled by the owner's
// sink, with no codec, instead of travelling in encoded batches.
type pairShuffle[K, V any] struct {
	cv    *conveyor.Conveyor[pair[K, V]]
	bytes int64 // one pair's bytes on the wire
}

// useConveyor reports whether a job of these types shuffles on a conveyor.
func useConveyor[K, V any]() bool { return conveyor.IsFixed[pair[K, V]]() }

// startPairs makes the job's conveyor, collectively: its handler puts each
// pair into this rank's sink.
func (j *job[K, V]) startPairs(ctx context.Context) error {
	cv, err := conveyor.New(ctx, j.c, reducerName(j.name)+".pairs", func(_ context.Context, _ int, p pair[K, V]) error {
		j.sinkMu.Lock()
		err := j.sink.add(p.K, p.V)
		j.sinkMu.Unlock()
		if err != nil {
			return fmt.Errorf("reducer: %w", err)
		}
		j.received.Add(1)
		return nil
	}, conveyor.WithBatchBytes(j.cfg.batchBytes), conveyor.WithBatch(min(j.cfg.batchPairs, 1<<24)))
	if err != nil {
		return err
	}
	j.pairs = &pairShuffle[K, V]{cv: cv, bytes: int64(reflect.TypeFor[pair[K, V]]().Size())}
	return nil
}

// sendPair sends one pair to a reducer on another rank.
func (j *job[K, V]) sendPair(ctx context.Context, rank int, k K, v V) error {
	j.stats.Shuffled++
	j.stats.ShuffleBytes += j.pairs.bytes
	if err := j.pairs.cv.Send(ctx, rank, pair[K, V]{K: k, V: v}); err != nil {
		return fmt.Errorf("shuffle to rank %d: %w", rank, err)
	}
	return nil
}

// donePairs waits until every rank's pairs are in their owners' sinks.
func (j *job[K, V]) donePairs(ctx context.Context) error {
	return j.pairs.cv.Done(ctx)
}
