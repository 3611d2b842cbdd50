package mailbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// This file fuzzes the mailbox layer's decoders of words and bytes other
// ranks write: claims words (the incarnation, governed bit and count packed
// in one window word), doorbell tokens (8-byte messages naming a ring), and
// the poller's turning of a token into a ring and of that ring's or the
// inbox's frames into handler calls. FuzzParseFrame (frame_test.go) and
// FuzzParseID (address_test.go) cover the frame and address decoders alone.

// fuzzWorld runs a one-rank in-process world for the whole fuzz target:
// setup runs on the rank and returns a teardown, which runs when the target
// ends. The world's windows and channels may be used from the fuzz
// goroutine, as any goroutine of the rank may.
func fuzzWorld(f *testing.F, setup func(ctx context.Context, w rma.World) (teardown func(context.Context) error, err error)) {
	f.Helper()
	ready := make(chan error, 1)
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- local.Run(context.Background(), 1, func(ctx context.Context, w rma.World) error {
			teardown, err := setup(ctx, w)
			ready <- err
			if err != nil {
				return err
			}
			<-stop
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			return teardown(ctx)
		})
	}()
	if err := <-ready; err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		close(stop)
		if err := <-done; err != nil {
			f.Error(err)
		}
	})
}

// FuzzClaimWord: the claims word's three fields decode from any 64-bit
// word and encode back to it (the layout uses every bit exactly once), and
// encoding then decoding keeps the incarnation mod 2^23, the governed bit
// and the count mod 2^40. addClaims, given whatever word the window holds,
// fails exactly as the decoded fields say (ErrNegativeClaim, ErrStale,
// ErrNotClaimed, ErrTooManyClaims, in that order), leaving the word as it
// was, or adds n to the count alone; it touches no other word. The in-memory
// word of a mailbox without a ring (addLocalClaims) follows the same rules
// for incarnation 0.
func FuzzClaimWord(f *testing.F) {
	const rings, index = 3, 1
	var ctl rma.Window
	fuzzWorld(f, func(ctx context.Context, w rma.World) (func(context.Context) error, error) {
		var err error
		ctl, err = w.Allocate(ctx, (rings+1)*controlSlot)
		return ctl.Free, err
	})
	f.Add(claimWord(7, true, 10), uint32(7), true, uint64(10), uint32(7), int64(5))
	f.Add(claimWord(7, true, MaxClaims-5), uint32(7), true, uint64(MaxClaims), uint32(7), int64(6))
	f.Add(claimWord(7, true, MaxClaims-5), uint32(7+1<<23), false, uint64(MaxClaims+1), uint32(7+1<<23), int64(5))
	f.Add(claimWord(8, false, 0), uint32(8), false, uint64(0), uint32(7), int64(1))
	f.Add(claimWord(0, false, 0), uint32(0), true, uint64(3), uint32(0), int64(1))
	f.Add(claimWord(0, true, 0), uint32(math.MaxUint32), true, uint64(math.MaxUint64), uint32(0), int64(MaxClaims))
	f.Add(uint64(math.MaxUint64), uint32(1<<23-1), true, uint64(MaxClaims), uint32(math.MaxUint32), int64(0))
	f.Add(uint64(0), uint32(0), false, uint64(0), uint32(0), int64(-1))
	f.Add(claimWord(3, true, 1), uint32(3), true, uint64(1), uint32(3), int64(math.MinInt64))
	f.Add(claimWord(3, true, 1), uint32(3), true, uint64(1), uint32(3), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, w uint64, inc uint32, governed bool, count uint64, addrInc uint32, n int64) {
		// Decode, then encode: every word is some (inc, governed, count).
		if claimInc(w) > claimIncMask || claimCount(w) > MaxClaims {
			t.Fatalf("%#x decodes to incarnation %d, count %d", w, claimInc(w), claimCount(w))
		}
		if back := claimWord(claimInc(w), claimIsGoverned(w), claimCount(w)); back != w {
			t.Fatalf("%#x decodes to (%d, %v, %d), which encodes as %#x", w, claimInc(w), claimIsGoverned(w), claimCount(w), back)
		}
		// Encode, then decode.
		e := claimWord(inc, governed, count)
		if claimInc(e) != inc&claimIncMask || claimIsGoverned(e) != governed || claimCount(e) != count&claimCountMask {
			t.Fatalf("claimWord(%d, %v, %d) = %#x decodes to (%d, %v, %d)",
				inc, governed, count, e, claimInc(e), claimIsGoverned(e), claimCount(e))
		}

		// addClaims against the word w in the owner's window.
		off := claimsOffset(mailboxToken(index))
		others := map[int]uint64{
			armedOffset(mailboxToken(index)):      0x1111,
			claimsOffset(mailboxToken(index - 1)): claimWord(inc, governed, count),
			claimsOffset(mailboxToken(index + 1)): ^w,
			armedOffset(mailboxToken(index + 1)):  0x2222,
		}
		for o, v := range others {
			if err := ctl.Store(0, o, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := ctl.Store(0, off, w); err != nil {
			t.Fatal(err)
		}
		var want error
		switch {
		case n < 0:
			want = rma.ErrNegativeClaim
		case claimInc(w) != addrInc&claimIncMask:
			want = ErrStale
		case !claimIsGoverned(w):
			want = ErrNotClaimed
		case uint64(n) > MaxClaims-claimCount(w):
			want = ErrTooManyClaims
		}
		a := Address{Index: index, Incarnation: addrInc}
		err := addClaims(ctl, 0, a, n)
		got, lerr := ctl.Load(0, off)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if want != nil {
			if !errors.Is(err, want) {
				t.Fatalf("addClaims(%s, %d) on %#x: %v, want %v", a, n, w, err, want)
			}
			if got != w {
				t.Fatalf("refused addClaims(%s, %d) changed %#x to %#x", a, n, w, got)
			}
		} else {
			if err != nil {
				t.Fatalf("addClaims(%s, %d) on %#x: %v", a, n, w, err)
			}
			if got != w+uint64(n) || claimInc(got) != claimInc(w) || !claimIsGoverned(got) || claimCount(got) != claimCount(w)+uint64(n) {
				t.Fatalf("addClaims(%s, %d) changed %#x to %#x", a, n, w, got)
			}
		}
		for o, v := range others {
			if x, err := ctl.Load(0, o); err != nil || x != v {
				t.Fatalf("addClaims changed the word at %d from %#x to %#x (%v)", o, v, x, err)
			}
		}

		// The same rules for a mailbox without a ring, whose incarnation
		// is 0 while it lives.
		if n < 0 {
			return
		}
		m := &Mailbox{self: actor.NewPID("rank:0", "fuzz")}
		m.memClaims.Store(w)
		switch {
		case claimInc(w) != 0:
			want = ErrStale
		case !claimIsGoverned(w):
			want = ErrNotClaimed
		case uint64(n) > MaxClaims-claimCount(w):
			want = ErrTooManyClaims
		default:
			want = nil
		}
		err = m.addLocalClaims(uint64(n))
		got = m.memClaims.Load()
		if want != nil && (!errors.Is(err, want) || got != w) || want == nil && (err != nil || got != w+uint64(n)) {
			t.Fatalf("addLocalClaims(%d) on %#x: %v, word %#x; want %v", n, w, err, got, want)
		}
	})
}

// FuzzDoorbellToken puts a fuzzer-chosen message (at most the doorbell's 8
// bytes) into a doorbell and answers it. A message that is not 8 bytes, or a
// token past the rank's tokens, fails with rma.ErrCorrupt and disarms
// nothing; a good token is returned and only its armed word is cleared.
// Either way the message is consumed. Then, as a round trip, ringing a
// disarmed token v puts it once, however often it is rung, and answering
// gives v back.
func FuzzDoorbellToken(f *testing.F) {
	const maxTokens = 8
	var ctl rma.Window
	var bell *rma.Channel
	fuzzWorld(f, func(ctx context.Context, w rma.World) (func(context.Context) error, error) {
		var err error
		if ctl, err = w.Allocate(ctx, maxTokens*controlSlot); err != nil {
			return nil, err
		}
		if bell, err = rma.NewChannel(ctx, w, 0, 2, 8, rma.WithClaims(rma.MaxClaim)); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return errors.Join(bell.Close(ctx), ctl.Free(ctx)) }, nil
	})
	token := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	f.Add(token(0), uint16(1), uint64(0))
	f.Add(token(3), uint16(3), uint64(3))
	f.Add(token(3), uint16(2), uint64(7))
	f.Add(token(7), uint16(7), uint64(9))
	f.Add(token(1<<63), uint16(0xffff), uint64(1<<63))
	f.Add(token(math.MaxUint64), uint16(7), uint64(math.MaxUint64))
	f.Add([]byte{1, 2, 3, 4}, uint16(7), uint64(2))
	f.Add([]byte{}, uint16(0), uint64(1))
	f.Add(bytes.Repeat([]byte{1}, 9), uint16(7), uint64(1))
	f.Fuzz(func(t *testing.T, msg []byte, tokens16 uint16, v uint64) {
		tokens := 1 + uint64(tokens16)%maxTokens
		armed := func() [maxTokens]uint64 {
			var a [maxTokens]uint64
			for k := range a {
				x, err := ctl.Load(0, armedOffset(uint64(k)))
				if err != nil {
					t.Fatal(err)
				}
				a[k] = x
			}
			return a
		}
		for k := range uint64(maxTokens) {
			if err := ctl.Store(0, armedOffset(k), 1); err != nil {
				t.Fatal(err)
			}
		}
		if len(msg) > 8 {
			msg = msg[:8]
		}
		if ok, err := bell.TryPut(msg); err != nil || !ok {
			t.Fatalf("put %x into the doorbell: %v, %v", msg, ok, err)
		}
		var buf [8]byte
		tok, ok, err := answer(ctl, bell, 0, tokens, buf[:])
		after := armed()
		switch {
		case len(msg) != 8 || binary.LittleEndian.Uint64(msg) >= tokens:
			if !errors.Is(err, rma.ErrCorrupt) || ok || tok != 0 {
				t.Fatalf("answer of %x with %d tokens: %d, %v, %v; want ErrCorrupt", msg, tokens, tok, ok, err)
			}
			for k, a := range after {
				if a != 1 {
					t.Fatalf("a refused token %x disarmed token %d", msg, k)
				}
			}
		default:
			want := binary.LittleEndian.Uint64(msg)
			if err != nil || !ok || tok != want {
				t.Fatalf("answer of %x with %d tokens: %d, %v, %v; want %d", msg, tokens, tok, ok, err, want)
			}
			for k, a := range after {
				if a != 1 && uint64(k) != want || a != 0 && uint64(k) == want {
					t.Fatalf("after answering token %d, armed words are %v", want, after)
				}
			}
		}
		if tok, ok, err := answer(ctl, bell, 0, tokens, buf[:]); ok || err != nil {
			t.Fatalf("the doorbell still held a token after answering %x: %d, %v, %v", msg, tok, ok, err)
		}

		// Round trip: ring encodes, answer decodes.
		k := v % maxTokens
		if err := ctl.Store(0, armedOffset(k), 0); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := ring(ctl, bell, 0, k); err != nil {
				t.Fatalf("ring(%d): %v", k, err)
			}
		}
		tok, ok, err = answer(ctl, bell, 0, maxTokens, buf[:])
		if err != nil || !ok || tok != k {
			t.Fatalf("rang %d, answered %d, %v, %v", k, tok, ok, err)
		}
		if a := armed(); a[k] != 0 {
			t.Fatalf("token %d still armed after answer", k)
		}
		if tok, ok, err := answer(ctl, bell, 0, maxTokens, buf[:]); ok || err != nil {
			t.Fatalf("ringing %d twice put two tokens: %d, %v, %v", k, tok, ok, err)
		}
	})
}

// handlerCall is one call a recHandler saw.
type handlerCall struct {
	kind   string // "decode", "dead letter", "dead message", "inbox"
	target string
	body   []byte
	reason error
}

// recHandler records the calls of a Rank.
type recHandler struct {
	mu    sync.Mutex
	calls []handlerCall
}

func (h *recHandler) add(c handlerCall) {
	c.body = bytes.Clone(c.body)
	h.mu.Lock()
	h.calls = append(h.calls, c)
	h.mu.Unlock()
}

// take returns the calls seen since the last take.
func (h *recHandler) take() []handlerCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls
	h.calls = nil
	return c
}

func (h *recHandler) Decode(target *actor.PID, body []byte) (any, bool, bool) {
	h.add(handlerCall{kind: "decode", target: target.String(), body: bytes.Clone(body)})
	return nil, false, false
}

func (h *recHandler) DeadLetter(target string, body []byte, reason error) {
	h.add(handlerCall{kind: "dead letter", target: target, body: bytes.Clone(body), reason: reason})
}

func (h *recHandler) DeadMessage(target *actor.PID, _ any) {
	h.add(handlerCall{kind: "dead message", target: target.String()})
}

func (h *recHandler) Local(_ *actor.PID, msg any) (any, bool) { return msg, true }

func (h *recHandler) Inbox(body []byte) bool {
	h.add(handlerCall{kind: "inbox", body: bytes.Clone(body)})
	return false
}

// FuzzRingReady drives the poller's decoders on a real Rank: a
// fuzzer-chosen frame goes into the rank's inbox or into a mailbox ring that
// no actor holds, and a fuzzer-chosen doorbell token is turned into a ring
// (ringReady) as the poller does. The handler must see exactly the entries
// ParseFrame finds, in order: inbox bodies through Inbox, an unheld ring's
// entries as dead letters addressed to their own incarnation with
// ErrStale. A malformed frame reaches the handler not at all and counts as
// a bad frame. A token that names no ring created on the rank (0, past the
// pool, any value) is refused without touching any ring. The rank's
// received counters and done count follow.
func FuzzRingReady(f *testing.F) {
	const slotBytes = 128
	var r *Rank
	h := &recHandler{}
	fuzzWorld(f, func(ctx context.Context, w rma.World) (func(context.Context) error, error) {
		var err error
		r, err = NewRank(ctx, w, h, WithCapacity(2), WithSlotBytes(slotBytes), WithInboxCapacity(2),
			WithArenaBytes(16<<10), WithAggregation(false))
		if err != nil {
			return nil, err
		}
		// Ring 0 exists and no actor holds it.
		if _, err := r.Reserve(); err != nil {
			return nil, err
		}
		return r.Close, nil
	})
	frame := func(entries ...Entry) []byte {
		var w frameWriter
		w.reset(slotBytes)
		for _, e := range entries {
			w.add(e.Incarnation, e.Body)
		}
		return bytes.Clone(w.bytes())
	}
	one := frame(Entry{Incarnation: 0, Body: []byte("hello")})
	three := frame(Entry{Incarnation: 1, Body: []byte("a")}, Entry{Incarnation: 35, Body: nil}, Entry{Incarnation: math.MaxUint32, Body: []byte("ccc")})
	for _, fr := range [][]byte{one, three, one[:len(one)-1], {}, {frameMagic, frameVersion, 0, 0}} {
		f.Add(uint64(1), fr, false)
		f.Add(uint64(0), fr, true)
	}
	f.Add(uint64(0), one, false)
	f.Add(uint64(2), one, false)
	f.Add(uint64(math.MaxUint64), three, false)
	f.Add(uint64(1<<63), three, false)
	f.Add(uint64(1<<63+1), three, false)
	f.Fuzz(func(t *testing.T, tok uint64, fr []byte, inbox bool) {
		if len(fr) > slotBytes {
			fr = fr[:slotBytes]
		}
		entries, perr := ParseFrame(fr, nil)
		if perr != nil {
			entries = nil
		}
		before := r.Stats()
		_, doneBefore := r.Counts()
		slot := r.pool.slots[0].Load()
		h.take()

		if inbox {
			if ok, err := r.inbox.TryPut(fr); err != nil || !ok {
				t.Fatalf("put into the inbox: %v, %v", ok, err)
			}
			r.drainInbox(nil, nil)
			calls := h.take()
			if len(calls) != len(entries) {
				t.Fatalf("inbox frame %x (%v): %d handler calls, want %d", fr, perr, len(calls), len(entries))
			}
			for i, c := range calls {
				if c.kind != "inbox" || !bytes.Equal(c.body, entries[i].Body) {
					t.Fatalf("call %d is %s %q, want inbox %q", i, c.kind, c.body, entries[i].Body)
				}
			}
		} else {
			if ok, err := slot.ch.TryPut(fr); err != nil || !ok {
				t.Fatalf("put into ring 0: %v, %v", ok, err)
			}
			mb, _, _ := r.ringReady(tok, nil, nil)
			if mb != nil {
				t.Fatalf("ringReady(%d) returned a mailbox for a ring no actor holds", tok)
			}
			calls := h.take()
			if tok != mailboxToken(0) {
				if len(calls) != 0 {
					t.Fatalf("ringReady(%d), a token of no created ring, made %d handler calls", tok, len(calls))
				}
				st, err := slot.ch.Stats()
				if err != nil || st.Len() != 1 {
					t.Fatalf("ringReady(%d) touched ring 0: %d frames left (%v)", tok, st.Len(), err)
				}
				// Drain it for the next input.
				if _, _, _ = r.ringReady(mailboxToken(0), nil, nil); len(h.take()) != len(entries) {
					t.Fatalf("draining ring 0 made the wrong number of calls")
				}
			} else {
				if len(calls) != len(entries) {
					t.Fatalf("ring frame %x (%v): %d handler calls, want %d", fr, perr, len(calls), len(entries))
				}
				for i, c := range calls {
					want := Address{Index: 0, Incarnation: entries[i].Incarnation}.String()
					if c.kind != "dead letter" || c.target != want || !bytes.Equal(c.body, entries[i].Body) || !errors.Is(c.reason, ErrStale) {
						t.Fatalf("call %d is %s to %q of %q (%v); want a dead letter to %q of %q (ErrStale)",
							i, c.kind, c.target, c.body, c.reason, want, entries[i].Body)
					}
				}
			}
			if st, err := slot.ch.Stats(); err != nil || st.Len() != 0 {
				t.Fatalf("ring 0 not drained: %d frames (%v)", st.Len(), err)
			}
		}
		after := r.Stats()
		_, doneAfter := r.Counts()
		bad := uint64(0)
		if perr != nil {
			bad = 1
		}
		if after.FramesReceived != before.FramesReceived+1 || after.MessagesReceived != before.MessagesReceived+uint64(len(entries)) ||
			after.BytesReceived != before.BytesReceived+uint64(len(fr)) || after.BadFrames != before.BadFrames+bad ||
			doneAfter != doneBefore+uint64(len(entries)) {
			t.Fatalf("counters went from %+v (done %d) to %+v (done %d) for a frame of %d entries (%v)",
				before, doneBefore, after, doneAfter, len(entries), perr)
		}
	})
}
