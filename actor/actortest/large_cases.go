package actortest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/mailbox"
)

func largeCases() []testCase {
	small := func(int) ([]actor.Option, error) {
		// A staging window far smaller than the messages: every large
		// message is pipelined through 4 blocks of 16 KiB.
		return []actor.Option{actor.WithStaging(64<<10, 16<<10)}, nil
	}
	return []testCase{
		{name: "Large/EverySizeEveryPath", ranks: 3, min: 2, prog: func(cfg Config) Program {
			return program(nil, func(e *rankEnv) error { return largeEverySize(e, cfg.LargeBytes) })
		}},
		{name: "Large/PipelinedThroughSmallStaging", ranks: 3, min: 2, prog: func(cfg Config) Program {
			return program(small, func(e *rankEnv) error { return largeEverySize(e, min(cfg.LargeBytes, 4<<20)) })
		}},
		{name: "Large/ManySendersOneReceiver", ranks: 4, min: 2, prog: func(Config) Program { return program(nil, largeManyToOne) }},
		{name: "Large/ClaimsCountOnce", ranks: 2, min: 2, prog: func(Config) Program { return program(nil, largeClaims) }},
		{name: "Large/Replies", ranks: 2, min: 2, prog: func(cfg Config) Program {
			return program(nil, func(e *rankEnv) error { return largeReplies(e, min(cfg.LargeBytes, 16<<20)) })
		}},
	}
}

// Streams of the large-message case: each is one sender's sequence of
// messages to one sink, checked for order and content by the sink.
const (
	streamSend    = iota // System.Send
	streamRoot           // RootContext.Send
	streamReceive        // Context.Send inside Receive
	nstreams
)

// blob is a message of n bytes whose content names its sender, stream and
// sequence number, so that the receiver checks every byte: a 16-byte header,
// then a pattern of patternBytes bytes made from the header, repeated. The
// pattern's length is prime, so a chunk moved by any multiple of a staging
// block lands on other bytes and is caught.
func blob(from, stream, seq, n int) *wrapperspb.BytesValue {
	b := make([]byte, n)
	var head [16]byte
	binary.LittleEndian.PutUint32(head[0:], uint32(from))
	binary.LittleEndian.PutUint32(head[4:], uint32(stream))
	binary.LittleEndian.PutUint64(head[8:], uint64(seq))
	copy(b, head[:])
	if n > len(head) {
		fillPattern(b[len(head):], blobPattern(from, seq))
	}
	return wrapperspb.Bytes(b)
}

const patternBytes = 4093

func blobPattern(from, seq int) []byte {
	p := make([]byte, patternBytes)
	for i := range p {
		p[i] = byte(seq*31 + i*7 + from)
	}
	return p
}

// fillPattern repeats p over b, doubling copies (cheap under the race
// detector, unlike a loop over the bytes).
func fillPattern(b, p []byte) {
	n := copy(b, p)
	for n < len(b) {
		n += copy(b[n:], b[:n])
	}
}

// checkBlob returns the sender, stream and sequence number of a blob, or
// an error naming the first wrong pattern repeat.
func checkBlob(b []byte) (from, stream, seq int, err error) {
	if len(b) < 16 {
		// Short blobs carry no header: only their length is checked,
		// by the sender's plan.
		return -1, -1, -1, nil
	}
	from = int(binary.LittleEndian.Uint32(b[0:]))
	stream = int(binary.LittleEndian.Uint32(b[4:]))
	seq = int(binary.LittleEndian.Uint64(b[8:]))
	p := blobPattern(from, seq)
	for off := 16; off < len(b); off += patternBytes {
		end := min(off+patternBytes, len(b))
		if !bytes.Equal(b[off:end], p[:end-off]) {
			return from, stream, seq, failf("blob %d/%d/%d of %d bytes: bytes [%d, %d) are wrong", from, stream, seq, len(b), off, end)
		}
	}
	return from, stream, seq, nil
}

// largePlan is the sizes one stream sends, in order: every size around the
// slot boundary (so the envelope is slot-1, slot and slot+1 bytes among
// them), then 64 KiB, 1 MiB, 16 MiB and, if huge, the largest, each
// followed by a small message, so that large and small interleave.
func largePlan(largest int, stream int, huge bool) []int {
	slot := mailbox.DefaultConfig().SlotBytes
	var sizes []int
	for n := slot - 80; n <= slot+8; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 0, 1, 16)
	for _, n := range []int{64 << 10, 1 << 20, 16 << 20} {
		// The largest sizes go through System.Send only: the other
		// paths are the same transport, and memory is shared by the
		// ranks of an in-process test.
		if n <= largest && (n <= 1<<20 || stream == streamSend) {
			sizes = append(sizes, n, 24)
		}
	}
	if huge && stream == streamSend && largest > 16<<20 {
		sizes = append(sizes, largest, 24)
	}
	return sizes
}

// hugeTo reports whether rank from sends the largest message to a sink of
// rank to: rank 0 only, to the next rank's spawned sink (one such message
// in flight keeps an in-process test's memory in bounds).
func hugeTo(from, to, size int, ring bool) bool {
	return ring && from == 0 && to == 1%size
}

// sink checks what it receives: per sender and stream, messages in order
// and whole. A request (a result with Key "report") gets the counts it saw
// from the requester's rank, and the first fault.
func sink(largest int, self, size int, ring bool) *actor.Props {
	headed := make([][nstreams][]int, size)
	for from := range size {
		for s := range nstreams {
			for _, n := range largePlan(largest, s, hugeTo(from, self, size, ring)) {
				if n >= 16 {
					headed[from][s] = append(headed[from][s], n)
				}
			}
		}
	}
	type key struct{ from, stream int }
	next := map[key]int{}
	var fault string
	return actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *wrapperspb.BytesValue:
			from, stream, seq, err := checkBlob(m.Value)
			if err != nil && fault == "" {
				fault = err.Error()
			}
			if from < 0 {
				return // a short blob: counted by the small ones around it
			}
			k := key{from, stream}
			if from >= size || stream >= nstreams || seq != next[k] || seq >= len(headed[from][stream]) || len(m.Value) != headed[from][stream][seq] {
				if fault == "" {
					fault = fmt.Sprintf("from rank %d stream %d: got seq %d of %d bytes, want seq %d", from, stream, seq, len(m.Value), next[k])
				}
				return
			}
			next[k]++
		case *result:
			if m.Key != "report" {
				return
			}
			counts := make([]int64, nstreams)
			for s := range nstreams {
				counts[s] = int64(next[key{m.From, s}])
			}
			c.Respond(&result{Key: "report", Values: counts, Err: fault})
		}
	})
}

// largeEverySize: every rank sends every size of largePlan, interleaved
// with small messages, to a spawned sink (its mailbox ring) and a named
// sink (the inbox) on every other rank, through System.Send,
// RootContext.Send and Context.Send inside Receive; the sinks check every
// byte and the order of each stream, and each sender checks the counts.
func largeEverySize(e *rankEnv, largest int) error {
	spawned, err := e.sys.Spawn(sink(largest, e.rank, e.size, true))
	if err != nil {
		return err
	}
	if _, err := e.sys.SpawnNamed(sink(largest, e.rank, e.size, false), "large-sink"); err != nil {
		return err
	}
	all, err := e.gatherIDs("large-sinks", []string{spawned.Id})
	if err != nil {
		return err
	}
	plans := func(k int, ring bool) (p [nstreams][]int) {
		for s := range nstreams {
			p[s] = largePlan(largest, s, hugeTo(e.rank, k, e.size, ring))
		}
		return p
	}
	// Many senders to one receiver: every rank sends to every other.
	for _, k := range e.others() {
		if err := sendStreams(e, actor.PIDOn(k, all[k][0]), plans(k, true)); err != nil {
			return err
		}
		if err := sendStreams(e, actor.PIDOn(k, "large-sink"), plans(k, false)); err != nil {
			return err
		}
	}
	for _, k := range e.others() {
		for _, ring := range []bool{true, false} {
			target := actor.PIDOn(k, "large-sink")
			if ring {
				target = actor.PIDOn(k, all[k][0])
			}
			reply, err := e.sys.Request(e.ctx, target, &result{Key: "report", From: e.rank})
			if err != nil {
				return fmt.Errorf("report from %s: %w", pidString(target), err)
			}
			r, ok := reply.(*result)
			if !ok {
				return failf("report from %s: %T", pidString(target), reply)
			}
			if r.Err != "" {
				return failf("sink %s: %s", pidString(target), r.Err)
			}
			p := plans(k, ring)
			for s := range nstreams {
				if want := countHeaded(p[s]); r.Values[s] != int64(want) {
					return failf("sink %s got %d messages of stream %d from rank %d, want %d", pidString(target), r.Values[s], s, e.rank, want)
				}
			}
		}
	}
	return e.w.Barrier(e.ctx)
}

// countHeaded is how many messages of a plan carry a header (16 bytes or
// more) and so are counted by the sink.
func countHeaded(plan []int) int {
	n := 0
	for _, size := range plan {
		if size >= 16 {
			n++
		}
	}
	return n
}

// sendStreams sends the three streams to target, in turn; the
// Context.Send stream is sent by a local actor, which answers once it has
// sent everything.
func sendStreams(e *rankEnv, target *actor.PID, plans [nstreams][]int) error {
	seqs := func(stream int, send func(msg any) error) error {
		seq := 0
		for _, n := range plans[stream] {
			msg := blob(e.rank, stream, seq, n)
			if n >= 16 {
				seq++
			} else {
				msg = wrapperspb.Bytes(make([]byte, n))
			}
			if err := send(msg); err != nil {
				return fmt.Errorf("stream %d to %s, %d bytes: %w", stream, pidString(target), n, err)
			}
		}
		return nil
	}
	if err := seqs(streamSend, func(msg any) error { return e.sys.Send(e.ctx, target, msg) }); err != nil {
		return err
	}
	if err := seqs(streamRoot, func(msg any) error { e.sys.Root().Send(target, msg); return nil }); err != nil {
		return err
	}
	relay, err := e.sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*wrapperspb.StringValue); ok {
			_ = seqs(streamReceive, func(msg any) error { c.Send(target, msg); return nil })
			c.Respond(wrapperspb.String("sent"))
		}
	}))
	if err != nil {
		return err
	}
	if _, err := e.sys.Request(e.ctx, relay, wrapperspb.String("go")); err != nil {
		return fmt.Errorf("relay to %s: %w", pidString(target), err)
	}
	e.sys.Root().Stop(relay)
	return nil
}

// largeReplies: small requests get large replies (1 MiB, 16 MiB) from a
// named actor and a spawned one on the other rank, through System.Request
// and through a future from inside an actor; each reply is checked byte
// for byte.
func largeReplies(e *rankEnv, largest int) error {
	server := actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
			c.Respond(blob(e.rank, 0, int(m.Value), int(m.Value)))
		}
	})
	spawned, err := e.sys.Spawn(server)
	if err != nil {
		return err
	}
	if _, err := e.sys.SpawnNamed(server, "large-server"); err != nil {
		return err
	}
	all, err := e.gatherIDs("large-servers", []string{spawned.Id})
	if err != nil {
		return err
	}
	k := (e.rank + 1) % e.size
	check := func(what string, reply any, err error, n int) error {
		if err != nil {
			return fmt.Errorf("%s for %d bytes: %w", what, n, err)
		}
		b, ok := reply.(*wrapperspb.BytesValue)
		if !ok || len(b.Value) != n {
			return failf("%s for %d bytes: got %T", what, n, reply)
		}
		if _, _, _, err := checkBlob(b.Value); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	for _, n := range []int{1 << 20, largest} {
		for _, target := range []*actor.PID{actor.PIDOn(k, all[k][0]), actor.PIDOn(k, "large-server")} {
			reply, err := e.sys.Request(e.ctx, target, wrapperspb.Int64(int64(n)))
			if err := check("System.Request "+pidString(target), reply, err, n); err != nil {
				return err
			}
			type answer struct {
				v   any
				err error
			}
			got := make(chan answer, 1)
			asker, err := e.sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
				if _, ok := c.Message().(*wrapperspb.StringValue); ok {
					v, err := c.RequestFuture(target, wrapperspb.Int64(int64(n)), time.Minute).Result()
					got <- answer{v, err}
				}
			}))
			if err != nil {
				return err
			}
			e.sys.Root().Send(asker, wrapperspb.String("ask"))
			select {
			case a := <-got:
				if err := check("Context.RequestFuture "+pidString(target), a.v, a.err, n); err != nil {
					return err
				}
			case <-e.ctx.Done():
				return errors.Join(failf("waiting for a %d-byte reply inside an actor", n), e.ctx.Err())
			}
			e.sys.Root().Stop(asker)
		}
	}
	return e.w.Barrier(e.ctx)
}

// largeClaims: an actor spawned with 3 claims on rank 1 gets 3 messages of
// 1 MiB (each many staged chunks) from rank 0 and stops after exactly
// those: a large message counts once against the claims.
func largeClaims(e *rankEnv) error {
	var handled atomic.Int64
	if e.rank == 1 {
		pid, err := e.sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if m, ok := c.Message().(*wrapperspb.BytesValue); ok {
				if _, _, _, err := checkBlob(m.Value); err == nil {
					handled.Add(1)
				}
			}
		}, actor.WithClaims(3)))
		if err != nil {
			return err
		}
		if err := e.sys.Send(e.ctx, collector(0), pid); err != nil {
			return err
		}
	}
	if e.rank == 0 {
		pid, err := recv[*actor.PID](e.ctx, e, "the claimed actor's PID", nil)
		if err != nil {
			return err
		}
		for i := range 3 {
			if err := e.sys.Send(e.ctx, pid, blob(0, 0, i, 1<<20)); err != nil {
				return err
			}
		}
		if err := e.sys.Wait(e.ctx, pid); err != nil {
			return fmt.Errorf("the actor with 3 claims did not stop after 3 large messages: %w", err)
		}
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	if e.rank == 1 && handled.Load() != 3 {
		return failf("the actor with 3 claims handled %d large messages, want 3", handled.Load())
	}
	return nil
}

// largeManyToOne: every other rank streams 4 MiB messages (16 chunks each)
// to one actor of rank 0 and to rank 0's named sink at once. Rank 0's
// memory for messages being assembled stays within the stated bound (one
// partly read message per sending rank and ring: here 2 rings), and no
// sender ever lends more blocks than its staging window has.
func largeManyToOne(e *rankEnv) error {
	const size, count = 4 << 20, 8
	var got atomic.Int64
	counter := actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *wrapperspb.BytesValue:
			if _, _, _, err := checkBlob(m.Value); err == nil && len(m.Value) == size {
				got.Add(1)
			}
		case *result:
			c.Respond(m)
		}
	})
	if e.rank == 0 {
		pid, err := e.sys.Spawn(counter)
		if err != nil {
			return err
		}
		if _, err := e.sys.SpawnNamed(counter, "many-to-one"); err != nil {
			return err
		}
		for _, k := range e.others() {
			if err := e.sys.Send(e.ctx, collector(k), pid); err != nil {
				return err
			}
		}
	} else {
		pid, err := recv[*actor.PID](e.ctx, e, "rank 0's counter", nil)
		if err != nil {
			return err
		}
		for i := range count {
			for _, target := range []*actor.PID{pid, actor.PIDOn(0, "many-to-one")} {
				if err := e.sys.Send(e.ctx, target, blob(e.rank, 0, i, size)); err != nil {
					return err
				}
			}
		}
		// A request after them comes back once they are all in.
		for _, target := range []*actor.PID{pid, actor.PIDOn(0, "many-to-one")} {
			if _, err := e.sys.Request(e.ctx, target, &result{Key: "sync"}); err != nil {
				return err
			}
		}
		// Relayed envelopes (across hosts) go as messages, not through
		// the staging window.
		st := e.sys.Stats()
		if !st.Relay && (st.StagedHighWater > st.StagingBlocks || st.StagedHighWater == 0) {
			return failf("rank %d lent %d staging blocks at most, of %d", e.rank, st.StagedHighWater, st.StagingBlocks)
		}
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	if e.rank == 0 {
		want := int64(2 * count * (e.size - 1))
		if got.Load() != want {
			return failf("rank 0 got %d whole 4 MiB messages, want %d", got.Load(), want)
		}
		st := e.sys.Stats()
		// Each envelope is the 4 MiB payload and a few dozen bytes.
		bound := int64(2*(e.size-1)) * (size + 1<<10)
		if st.AssemblingHighWater > bound || st.AssemblingHighWater == 0 {
			return failf("rank 0 held %d bytes of messages being assembled at most; the bound is %d", st.AssemblingHighWater, bound)
		}
	}
	return nil
}
