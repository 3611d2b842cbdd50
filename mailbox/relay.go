package mailbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/rmactor/rmactor/rma"
)

// Relay protocol. Across hosts a one-sided put into a ring costs several
// network round trips (a ticket, the payload, the commit, the doorbell);
// a two-sided message costs one trip. Between ranks whose windows are not
// in shared memory, outlets therefore send their frames as messages
// (rma.Messages) and the receiving rank's poller relays them to its own
// mailboxes: frames for a mailbox join an in-memory queue beside its ring,
// frames for the inbox are delivered at once. A relaying rank relays to
// every rank, itself included, so its rings and doorbell stay empty and
// are not polled; claims, the sent/done counts of termination,
// incarnations and dead letters work as on the ring path.
//
// Flow control is by credits, so that a slow mailbox holds no more than its
// ring would: an outlet has at most Capacity frames in flight, counted
// from its send until the receiver's consumer takes the frame out of its
// queue and acks it. Acks ride on frames going the other way, or travel
// alone: at once when a rank owes a peer half an outlet's credits, and
// otherwise when its poller finds nothing to receive.
//
// A large envelope goes as chunks of ChunkBytes, each a place message
// followed by the bytes (MPI moves those by rendezvous, straight into the
// receiver's assembly buffer). The large envelopes a rank has sent to one
// peer and the peer has not yet taken are at most StagingBytes (or one
// envelope, if larger), as on the staging path; chunks are not credited
// otherwise, and at most a staging window's worth of chunk sends per peer
// are outstanding (more in flight hide the rendezvous handshake of each). Messages
// of one sender keep their order (one tag, MPI's non-overtaking rule), so
// per-sender order into each mailbox is kept as on the ring path.
//
// docs/protocol.md, "Relay across hosts", has the argument that no credit
// is lost and nothing waits for ever.
type relay struct {
	r       *Rank
	msgs    rma.Messages
	credits int // frames in flight per outlet
	chunks  int // chunk sends outstanding per peer: a staging window's worth
	peers   []relayPeer
	// unacked counts items sent by this rank and not yet acked: Close
	// waits for it to reach 0, as it waits for outlets to empty.
	unacked atomic.Int64
	acksOut atomic.Uint64 // ack-only messages sent
	// chunking counts chunk sends in flight: MPI moves their bytes only
	// while this rank is inside MPI, so the poller keeps probing, without
	// sleeping, until they are done.
	chunking atomic.Int64

	// The receiving side, used by the poller only (one at a time), and by
	// Close once the poller has stopped.
	expect  []*chunkExpect // by source: its next message is this chunk
	parts   map[relayKey]*partial
	failed  map[relayKey]error // large envelopes being discarded, and why
	ackBuf  []relayAck
	frame   []byte
	entries []Entry
}

// RelayMode chooses how a rank's batches reach other ranks' mailboxes.
type RelayMode int

const (
	// RelayAuto relays through messages when the world carries them
	// (rma.Messenger) and its windows are not in shared memory: across
	// hosts, and on one node with RMACTOR_MPI_SHM=off.
	RelayAuto RelayMode = iota
	// RelayOn relays whenever the world carries messages; NewRank fails
	// on a world that does not.
	RelayOn
	// RelayOff always puts frames into the target's ring with one-sided
	// operations.
	RelayOff
)

func (m RelayMode) String() string {
	switch m {
	case RelayAuto:
		return "auto"
	case RelayOn:
		return "on"
	case RelayOff:
		return "off"
	}
	return fmt.Sprintf("RelayMode(%d)", int(m))
}

// ParseRelayMode reads "auto", "on" or "off" (RMACTOR_RELAY's values).
func ParseRelayMode(s string) (RelayMode, error) {
	for _, m := range []RelayMode{RelayAuto, RelayOn, RelayOff} {
		if s == m.String() {
			return m, nil
		}
	}
	return RelayAuto, fmt.Errorf("%w: relay mode %q (auto, on or off)", rma.ErrInvalidArgument, s)
}

// relayPeer is what a rank keeps for one peer: its sends in flight, and
// the acks it owes that peer.
type relayPeer struct {
	mu        sync.Mutex
	inflight  []relaySend // oldest first
	chunks    int         // chunk sends among them
	large     int         // bytes of large envelopes sent to the peer and not yet acked
	owed      map[int32]uint32
	owedTotal int
	scratch   []relayAck // takeOwed's result, used before p.mu is let go
}

// relaySend is one send in flight; buf and body go back to the rank's
// buffer pool when it is done.
type relaySend struct {
	s     rma.Sending
	buf   []byte
	body  []byte
	chunk bool
}

type relayKey struct{ src, key int }

// chunkExpect is a chunk whose place arrived: the sender's next message is
// its bytes. p is nil when the chunk is to be discarded, for the reason
// in err.
type chunkExpect struct {
	key   int
	place chunkPlace
	p     *partial
	err   error
}

// relayUsed decides whether this rank relays, by cfg.Relay: every rank
// decides alike, since the decision depends on the world and the options
// only.
func (r *Rank) relayUsed() (bool, error) {
	_, carries := r.world.(rma.Messenger)
	switch r.cfg.Relay {
	case RelayOff:
		return false, nil
	case RelayOn:
		if !carries {
			return false, fmt.Errorf("%w: relay on, but this world carries no messages", rma.ErrInvalidArgument)
		}
		return true, nil
	}
	sm, ok := r.ctl.(rma.SharedMemory)
	return carries && !(ok && sm.SharedMemory()), nil
}

// openRelay opens the message channel (collective).
func (r *Rank) openRelay(ctx context.Context) error {
	use, err := r.relayUsed()
	if err != nil || !use {
		return err
	}
	msgs, err := r.world.(rma.Messenger).OpenMessages(ctx)
	if err != nil {
		return fmt.Errorf("mailbox: relay: %w", err)
	}
	n := r.world.Size()
	r.relay = &relay{r: r, msgs: msgs, credits: r.cfg.Capacity, chunks: max(4, stagingBlocks(r.cfg)), peers: make([]relayPeer, n),
		expect: make([]*chunkExpect, n), parts: make(map[relayKey]*partial), failed: make(map[relayKey]error)}
	return nil
}

// relayFrameBytes is the most a relayed frame batches: it goes into no
// ring slot, and a larger batch costs fewer network messages. Envelopes
// over a slot still take the large path, whatever the route.
const relayFrameBytes = 16 << 10

// frameBytes is the most bytes an outlet batches into one frame.
func (r *Rank) frameBytes() int {
	if r.relay != nil {
		return max(r.cfg.SlotBytes, relayFrameBytes)
	}
	return r.cfg.SlotBytes
}

// ackThreshold is how many acks owed to one peer are sent at once rather
// than waiting for the poller's next idle look.
func (rl *relay) ackThreshold() int { return max(1, rl.credits/2) }

// retire completes the peer's finished sends, oldest first, and gives
// their buffers back. The caller holds p.mu.
func (rl *relay) retire(p *relayPeer) {
	for len(p.inflight) > 0 {
		s := &p.inflight[0]
		done, err := s.s.Done()
		if err != nil {
			rl.r.cfg.Logger.Error("mailbox: relay send failed", zapErr(err))
		} else if !done {
			return
		}
		if s.buf != nil {
			rl.r.bufs.put(s.buf)
		}
		if s.body != nil {
			rl.r.bufs.put(s.body)
		}
		if s.chunk {
			p.chunks--
			rl.chunking.Add(-1)
		}
		p.inflight[0] = relaySend{}
		p.inflight = p.inflight[1:]
	}
}

// retireAll completes finished sends to every peer.
func (rl *relay) retireAll() (left int) {
	for k := range rl.peers {
		p := &rl.peers[k]
		p.mu.Lock()
		if len(p.inflight) > 0 {
			rl.retire(p)
			left += len(p.inflight)
		}
		p.mu.Unlock()
	}
	return left
}

// send starts one message to peer dest: header (with the acks owed to
// dest) and tail. The caller holds p.mu.
func (rl *relay) send(dest int, p *relayPeer, kind byte, key int, tail []byte) error {
	rl.retire(p)
	acks := rl.takeOwed(p)
	buf := rl.r.bufs.get(relayHeader + len(acks)*relayAckBytes + len(tail))[:0]
	buf = appendRelayHeader(buf, kind, key, acks)
	buf = append(buf, tail...)
	s, err := rl.msgs.Send(dest, buf)
	if err != nil {
		rl.r.bufs.put(buf)
		rl.giveBackOwed(p, acks)
		return err
	}
	p.inflight = append(p.inflight, relaySend{s: s, buf: buf})
	return nil
}

// takeOwed moves the acks owed to p into p.scratch. The caller holds p.mu
// and is done with the result before letting it go.
func (rl *relay) takeOwed(p *relayPeer) []relayAck {
	if p.owedTotal == 0 {
		return nil
	}
	acks := p.scratch[:0]
	for k, n := range p.owed {
		if len(acks) == maxRelayAcks {
			break
		}
		acks = append(acks, relayAck{key: k, taken: n})
		delete(p.owed, k)
		p.owedTotal -= int(n)
	}
	p.scratch = acks
	return acks
}

func (rl *relay) giveBackOwed(p *relayPeer, acks []relayAck) {
	for _, a := range acks {
		p.owed[a.key] += a.taken
		p.owedTotal += int(a.taken)
	}
}

// owe records that this rank's consumer took one item of src's outlet for
// key, and sends the acks owed to src if they reached the threshold, or at
// once if urgent (a large envelope: its sender holds the next one back
// until this ack).
func (rl *relay) owe(src, key int, urgent bool) {
	p := &rl.peers[src]
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.owed == nil {
		p.owed = make(map[int32]uint32)
	}
	p.owed[int32(key)]++
	p.owedTotal++
	if urgent || p.owedTotal >= rl.ackThreshold() {
		rl.sendAcks(src, p)
	}
}

// sendAcks sends what this rank owes peer k alone. The caller holds p.mu.
func (rl *relay) sendAcks(k int, p *relayPeer) {
	for p.owedTotal > 0 {
		if err := rl.send(k, p, relayAcks, 0, nil); err != nil {
			rl.r.cfg.Logger.Error("mailbox: relay ack failed", zapErr(err))
			return
		}
		rl.acksOut.Add(1)
	}
}

// flushAcks sends every ack owed, to every peer.
func (rl *relay) flushAcks() {
	for k := range rl.peers {
		p := &rl.peers[k]
		p.mu.Lock()
		if p.owedTotal > 0 {
			rl.sendAcks(k, p)
		}
		p.mu.Unlock()
	}
}

// close frees the channel (collective), called by Close after the rank's
// last barrier. Closing the channel drains it: every rank receives what
// was sent to it and never taken, so every send completes, and their
// buffers go back to the pool. If the drain fails (ctx ended), sends may
// still be in flight: their buffers are left to MPI.
func (rl *relay) close(ctx context.Context) error {
	rl.retireAll()
	err := rl.msgs.Close(ctx)
	for k := range rl.peers {
		p := &rl.peers[k]
		p.mu.Lock()
		for i := range p.inflight {
			if s := &p.inflight[i]; err == nil {
				if s.buf != nil {
					rl.r.bufs.put(s.buf)
				}
				if s.body != nil {
					rl.r.bufs.put(s.body)
				}
			}
			p.inflight[i] = relaySend{}
		}
		p.inflight, p.chunks = nil, 0
		p.mu.Unlock()
	}
	rl.chunking.Store(0)
	if err != nil && !errors.Is(err, rma.ErrClosed) {
		return fmt.Errorf("mailbox: close: relay: %w", err)
	}
	return nil
}
