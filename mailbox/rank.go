package mailbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/extensions"

	"github.com/rmactor/rmactor/rma"
)

// Handler is what the actor layer gives a Rank: envelope bodies in, messages
// out. The mailbox package never looks inside a body.
type Handler interface {
	// Decode turns an envelope body taken from target's mailbox ring into
	// the message for the actor, and says whether it is a system message. If
	// it cannot, it reports a dead letter with the reason and returns
	// ok false.
	Decode(target *actor.PID, body []byte) (msg any, system, ok bool)
	// DeadLetter reports an envelope body that cannot be delivered; target
	// is the id of the actor it was meant for, or "" if unknown.
	DeadLetter(target string, body []byte, reason error)
	// DeadMessage reports a message left for an actor that has stopped.
	DeadMessage(target *actor.PID, msg any)
	// Local checks a user message posted by this rank to target's mailbox
	// by the rules a message from another rank meets, and returns what the
	// actor gets; if the message fails, Local reports the dead letter and
	// returns ok false.
	Local(target *actor.PID, msg any) (deliver any, ok bool)
	// Inbox delivers one envelope body taken from the rank's inbox. It
	// returns true when the message went to a Mailbox of this rank (with
	// Rank.Deliver), which counts it done once handled; otherwise the
	// message ended here (a future, a dead letter).
	Inbox(body []byte) bool
}

// Rank is one rank's mailbox machinery: its arena of rings, its doorbell and
// inbox, the poller that turns doorbell tokens into scheduled mailboxes, and
// the outlets that batch messages to other ranks.
type Rank struct {
	cfg    Config
	world  rma.World
	rank   int
	h      Handler
	layout layout

	arena   *rma.Arena
	ctl     rma.Window
	bell    *rma.Channel   // this rank's doorbell
	inbox   *rma.Channel   // this rank's inbox
	bells   []*rma.Channel // every rank's doorbell, attached
	inboxes []*rma.Channel // every rank's inbox, attached
	stage   *stager        // this rank's staging window (large envelopes)
	bufs    bufferPool     // assembly buffers of large envelopes
	inAsm   assembler      // large envelopes arriving in the inbox (the poller's)
	wake    wakeups        // wake-up lines of this rank and its peers (wake.go)
	relay   *relay         // frames to and from other ranks as messages, or nil (relay.go)

	pool  pool
	local sync.Map // actor id → *Mailbox, every live mailbox of this rank

	out outlets

	stats    counters
	follow   chan struct{} // promotes a waiting follower to poller
	work     chan *Mailbox // hands a mailbox to a waiting worker
	stop     chan struct{}
	stopOnce sync.Once // closes stop: Close or Abort
	wg       sync.WaitGroup
	closed   atomic.Bool  // no more sends
	shutting atomic.Bool  // Close has begun
	closing  atomic.Bool  // no more ring takes: the windows are about to go
	active   atomic.Int64 // mailboxes running now
	// emptyPolls counts the poller's looks at an empty doorbell
	// (SettleInbox).
	emptyPolls atomic.Uint64
	pollerGone atomic.Bool // the world closed under the poller

	// Termination detection: messages this rank handed to a mailbox or
	// an outlet, and messages that ended here (handled by an actor,
	// delivered to a future, or dead-lettered). Counted sent before they
	// can end anywhere, and done only after their handling, so the sums
	// over all ranks are equal only when nothing is in flight or running.
	// Each on its own cache line: senders count one, handlers the other.
	_    [56]byte
	sent atomic.Uint64
	_    [56]byte
	done atomic.Uint64
	_    [56]byte
}

// Counts reads this rank's sent and done message counters.
func (r *Rank) Counts() (sent, done uint64) {
	return r.sent.Load(), r.done.Load()
}

// Hold counts a message that a layer above holds back (to send later) as
// sent, so that termination detection sees it in flight.
func (r *Rank) Hold() { r.sent.Add(1) }

// Release counts a held message done, once what it held has been sent.
func (r *Rank) Release() { r.done.Add(1) }

// Deliver hands a message that arrived in the inbox to the mailbox of the
// local actor id, if it has one, and reports whether it did.
func (r *Rank) Deliver(id string, msg any, system bool) bool {
	m, ok := r.Lookup(id)
	if !ok {
		return false
	}
	if system {
		m.post(&m.system, &m.sysCount, msg)
	} else {
		m.post(&m.user, &m.userCount, msg)
	}
	return true
}

// Stats is a snapshot of a rank's transport counters.
type Stats struct {
	FramesSent   uint64 // ring slots written to other ranks
	MessagesSent uint64 // envelopes in them
	BytesSent    uint64 // frame bytes
	// FramesReceived, MessagesReceived and BytesReceived count what this
	// rank took from its rings and its inbox.
	FramesReceived   uint64
	MessagesReceived uint64
	BytesReceived    uint64
	BadFrames        uint64 // malformed frames dropped (each logged)
	// QueueHighWater is the most user messages that waited in memory in
	// one mailbox of this rank: sent from this rank or delivered from the
	// inbox and queued, or taken from the ring in a frame, and not yet
	// handled.
	QueueHighWater int64
	// RingHighWater is the most frames seen waiting in one mailbox ring
	// of this rank, read every few takes (so a lower bound), or in one
	// mailbox's relay queue.
	RingHighWater int64
	Mailboxes     int // rings created so far
	MaxMailboxes  int // rings the arena has room for
	// WindowBytesPerMailbox is what one mailbox costs in the window: its
	// ring plus its control words.
	WindowBytesPerMailbox int
	// StagingBlocks is the number of blocks of the staging window, and
	// StagedHighWater the most of them lent at once (large messages sent
	// and not yet read).
	StagingBlocks, StagedHighWater int
	// AssemblingHighWater is the most bytes this rank held at once for
	// large messages whose chunks were still arriving: at most one
	// message per sending rank and ring.
	AssemblingHighWater int64
	// Wakeups reports whether this rank's idle poller and flusher sleep
	// until woken (Config.Wakeups, on one machine), and WakeupsSent how
	// many times this rank woke a sleeping one, of any rank.
	Wakeups     bool
	WakeupsSent uint64
	// Relay reports whether this rank sends to other ranks through
	// messages (Config.Relay), and RelayAcksSent how many messages it
	// sent only to return credits.
	Relay         bool
	RelayAcksSent uint64
}

func (r *Rank) relayAcks() uint64 {
	if r.relay == nil {
		return 0
	}
	return r.relay.acksOut.Load()
}

// layout places the doorbell, the inbox and the rings in the arena.
type layout struct {
	bellBytes, inboxBytes, ringBytes int
	ringsBase, maxRings              int
}

// Arena generations: the doorbell is the arena's first channel, the inbox
// its second, ring i its (i+3)rd; nothing else is carved from the arena and
// rings are never freed.
const (
	bellGeneration      = 1
	inboxGeneration     = 2
	firstRingGeneration = 3
)

func planLayout(cfg Config) (layout, error) {
	var l layout
	var err error
	if l.ringBytes, err = rma.ChannelBytes(cfg.Capacity, cfg.SlotBytes); err != nil {
		return l, err
	}
	if l.inboxBytes, err = rma.ChannelBytes(cfg.InboxCapacity, cfg.SlotBytes); err != nil {
		return l, err
	}
	n := (cfg.ArenaBytes - l.inboxBytes) / (l.ringBytes + 24)
	for ; n > 0; n-- {
		if l.bellBytes, err = rma.ChannelBytes(n+1, 8); err != nil {
			return l, err
		}
		if l.bellBytes+l.inboxBytes+n*l.ringBytes <= cfg.ArenaBytes {
			break
		}
	}
	if n < 1 {
		return l, fmt.Errorf("%w: a %d-byte arena holds no %d-byte mailbox next to a %d-byte inbox",
			rma.ErrInvalidArgument, cfg.ArenaBytes, l.ringBytes, l.inboxBytes)
	}
	l.maxRings = n
	l.ringsBase = l.bellBytes + l.inboxBytes
	return l, nil
}

// NewRank sets up this rank's mailboxes. It is collective: every rank of w
// calls it with the same options.
func NewRank(ctx context.Context, w rma.World, h Handler, opts ...Option) (*Rank, error) {
	cfg := DefaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	l, err := planLayout(cfg)
	if err != nil {
		return nil, err
	}
	r := &Rank{cfg: cfg, world: w, rank: w.Rank(), h: h, layout: l, stop: make(chan struct{}), follow: make(chan struct{}), work: make(chan *Mailbox)}
	r.pool.slots = make([]atomic.Pointer[ringSlot], l.maxRings)
	r.pool.reserved = make(map[int]uint32)
	r.out.init()
	r.inAsm.r = r
	if err := r.open(ctx); err != nil {
		r.abandon(ctx)
		return nil, err
	}
	r.wg.Add(2)
	go r.poll()
	go r.flush()
	return r, nil
}

func (r *Rank) open(ctx context.Context) error {
	var err error
	if r.ctl, err = r.world.Allocate(ctx, r.layout.controlBytes(r.cfg)); err != nil {
		return fmt.Errorf("mailbox: control window: %w", err)
	}
	if err := r.openWakeups(); err != nil {
		return fmt.Errorf("mailbox: wake-up lines: %w", err)
	}
	if r.arena, err = rma.NewArena(ctx, r.world, r.cfg.ArenaBytes); err != nil {
		return fmt.Errorf("mailbox: arena: %w", err)
	}
	if r.stage, err = newStager(ctx, r.world, r.cfg, r.ctl, r.layout.stagingStateBase()); err != nil {
		return err
	}
	r.stage.high = &r.stats.stagedHigh
	if r.bell, err = r.arena.NewChannel(r.layout.maxRings+1, 8, rma.WithClaims(rma.MaxClaim)); err != nil {
		return fmt.Errorf("mailbox: doorbell: %w", err)
	}
	if r.inbox, err = r.arena.NewChannel(r.cfg.InboxCapacity, r.cfg.SlotBytes, rma.WithClaims(rma.MaxClaim)); err != nil {
		return fmt.Errorf("mailbox: inbox: %w", err)
	}
	if err := r.world.Barrier(ctx); err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	if err := r.learnWakeups(); err != nil {
		return fmt.Errorf("mailbox: wake-up lines: %w", err)
	}
	if err := r.openRelay(ctx); err != nil {
		return err
	}
	n := r.world.Size()
	r.bells = make([]*rma.Channel, n)
	r.inboxes = make([]*rma.Channel, n)
	for k := range n {
		if r.bells[k], err = r.arena.Attach(rma.Handle{Rank: k, Offset: 0, Capacity: r.layout.maxRings + 1,
			MessageSize: 8, Generation: bellGeneration}); err != nil {
			return fmt.Errorf("mailbox: rank %d's doorbell (do all ranks use the same mailbox options?): %w", k, err)
		}
		if r.inboxes[k], err = r.arena.Attach(rma.Handle{Rank: k, Offset: r.layout.bellBytes, Capacity: r.cfg.InboxCapacity,
			MessageSize: r.cfg.SlotBytes, Generation: inboxGeneration}); err != nil {
			return fmt.Errorf("mailbox: rank %d's inbox (do all ranks use the same mailbox options?): %w", k, err)
		}
	}
	return nil
}

// abandon drops what open made after a failure. Collective frees are
// skipped: the other ranks fail the same way or abort, and one may have
// failed at another step (a Free here would meet its next collective call:
// a panic in process, a hang in MPI_Win_free under MPI). The windows' memory
// goes with the Rank in process, at MPI_Finalize under MPI.
func (r *Rank) abandon(context.Context) {
	r.closeWakeups()
	r.arena, r.ctl, r.stage, r.relay = nil, nil, nil, nil
}

// Self is this rank's number.
func (r *Rank) Self() int { return r.rank }

// Size is the number of ranks.
func (r *Rank) Size() int { return r.world.Size() }

// Config is the rank's configuration.
func (r *Rank) Config() Config { return r.cfg }

// Stats reads the rank's counters.
func (r *Rank) Stats() Stats {
	r.pool.mu.Lock()
	created := r.pool.created
	r.pool.mu.Unlock()
	return Stats{
		FramesSent:   r.stats.framesOut.Load(),
		MessagesSent: r.stats.messagesOut.Load(),
		BytesSent:    r.stats.bytesOut.Load(),
		BadFrames:    r.stats.badFrames.Load(),
		Mailboxes:    created,
		MaxMailboxes: r.layout.maxRings,

		FramesReceived:   r.stats.framesIn.Load(),
		MessagesReceived: r.stats.messagesIn.Load(),
		BytesReceived:    r.stats.bytesIn.Load(),
		QueueHighWater:   r.stats.queueHigh.load(),
		RingHighWater:    r.stats.ringHigh.load(),

		WindowBytesPerMailbox: r.layout.ringBytes + controlSlot,
		StagingBlocks:         r.stage.nblocks,
		StagedHighWater:       int(r.stats.stagedHigh.load()),
		AssemblingHighWater:   r.stats.assemblingHigh.load(),
		Wakeups:               r.wake.id != 0,
		WakeupsSent:           r.stats.wakeups.Load(),
		Relay:                 r.relay != nil,
		RelayAcksSent:         r.relayAcks(),
	}
}

var rankExtension = extensions.NextExtensionID()

// ExtensionID makes a Rank a protoactor extension, so that mailboxes find
// their rank through the ActorSystem they are spawned in.
func (r *Rank) ExtensionID() extensions.ExtensionID { return rankExtension }

// Install registers r with an actor system (one system per rank).
func (r *Rank) Install(as *actor.ActorSystem) { as.Extensions.Register(r) }

// RankOf finds the Rank installed in an actor system.
func RankOf(as *actor.ActorSystem) (*Rank, bool) {
	r, ok := as.Extensions.Get(rankExtension).(*Rank)
	return r, ok && r != nil
}

// Reserve picks a ring for an actor about to be spawned. Spawn it with an id
// whose last segment is the address (WithAddress); if the spawn fails, call
// Unreserve.
func (r *Rank) Reserve() (Address, error) { return r.reserve() }

// Unreserve gives back a reserved ring that no actor took.
func (r *Rank) Unreserve(a Address) { r.unreserve(a) }

func (r *Rank) track(m *Mailbox)   { r.local.Store(m.self.Id, m) }
func (r *Rank) untrack(m *Mailbox) { r.local.CompareAndDelete(m.self.Id, m) }

// Lookup finds the mailbox of a live actor of this rank by id.
func (r *Rank) Lookup(id string) (*Mailbox, bool) {
	v, ok := r.local.Load(id)
	if !ok {
		return nil, false
	}
	return v.(*Mailbox), true
}

// AddClaims adds n claims to the actor with the given id on rank owner. Ids
// with a mailbox address work from any rank; a named actor's claims can be
// added only on its own rank.
func (r *Rank) AddClaims(owner int, id string, n int64) error {
	if owner < 0 || owner >= r.world.Size() {
		return fmt.Errorf("%w: rank %d of %d", rma.ErrInvalidRank, owner, r.world.Size())
	}
	if n < 0 {
		return fmt.Errorf("%w: AddClaims(%d)", rma.ErrNegativeClaim, n)
	}
	a, has, err := ParseID(id)
	if err != nil {
		return err
	}
	if has {
		if a.Index >= r.layout.maxRings {
			return fmt.Errorf("%w: mailbox %d of rank %d's %d", ErrBadAddress, a.Index, owner, r.layout.maxRings)
		}
		return addClaims(r.ctl, owner, a, n)
	}
	if owner != r.rank {
		return fmt.Errorf("%w: %q on rank %d has no mailbox address; add its claims on its own rank",
			ErrBadAddress, id, owner)
	}
	v, ok := r.local.Load(id)
	if !ok {
		return fmt.Errorf("%w: no actor %q with claims on rank %d", ErrStale, id, owner)
	}
	return v.(*Mailbox).addLocalClaims(uint64(n))
}

// Close ends this rank's mailboxes. It is collective: every rank calls it
// once its actors are done. It first delivers what this rank owes: it waits
// until no mailbox is running and every batch queued for another rank is in
// its ring (replies to requests already taken included), waiting for room
// until ctx ends; then it marks the rank closed, which other ranks see
// (PeerGone), and meets them in a barrier. Sends are refused only after
// that barrier.
func (r *Rank) Close(ctx context.Context) error {
	if r.closed.Load() || r.shutting.Swap(true) {
		return fmt.Errorf("mailbox: close: %w", ErrClosed)
	}
	var errs []error
	if err := r.settle(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := r.ctl.Store(r.rank, r.presenceOffset(), stateClosed); err != nil {
		errs = append(errs, fmt.Errorf("mailbox: close: marking the rank closed: %w", err))
	}
	if err := r.world.Barrier(ctx); err != nil {
		errs = append(errs, err)
	}
	r.closed.Store(true)
	// Peers may have stopped polling by now: what is relayed from here on
	// is sent, not waited for (their Close reports it untaken).
	errs = append(errs, r.out.drain(ctx, r, false))
	r.stopOnce.Do(func() { close(r.stop) })
	r.wakeSelf()
	r.wg.Wait()
	// A stopped actor may still be turning its backlog into dead letters;
	// let running mailboxes finish, and keep later runs off the rings.
	r.closing.Store(true)
	var idle Idler
	for r.active.Load() > 0 {
		if err := idle.Pause(ctx); err != nil {
			// Freeing now would pull the memory from under them: keep
			// the windows and report.
			errs = append(errs, fmt.Errorf("mailbox: close: %d mailbox(es) still running; windows not freed: %w", r.active.Load(), err))
			return errors.Join(errs...)
		}
	}
	if r.relay != nil {
		// What arrived after the poller's last look is queued, to be
		// reported below with what waits in the rings.
		for {
			got, err := r.relay.receive()
			if err != nil {
				errs = append(errs, fmt.Errorf("mailbox: close: relay: %w", err))
			}
			if !got || err != nil {
				break
			}
		}
	}
	errs = append(errs, r.untaken())
	if err := r.world.Barrier(ctx); err != nil {
		errs = append(errs, err)
	}
	r.closeWakeups()
	if r.relay != nil {
		errs = append(errs, r.relay.close(ctx))
	}
	errs = append(errs, r.arena.Close(ctx), r.ctl.Free(ctx), r.stage.win.Free(ctx))
	return errors.Join(errs...)
}

// settle waits until no mailbox of this rank is running and its outlets
// are empty, twice in a row with the poller having looked at an empty
// doorbell in between, so that messages handled just before are answered.
func (r *Rank) settle(ctx context.Context) error {
	var idle Idler
	polls := r.emptyPolls.Load()
	quiet := 0
	for {
		if err := r.out.drain(ctx, r, true); err != nil {
			return err
		}
		switch {
		case r.active.Load() != 0:
			quiet, polls = 0, r.emptyPolls.Load()
		case r.emptyPolls.Load() > polls || r.pollerGone.Load():
			if quiet++; quiet == 2 {
				return nil
			}
			polls = r.emptyPolls.Load()
		}
		r.wakePoller(r.rank) // a sleeping poller would look only later
		if err := idle.Pause(ctx); err != nil {
			return fmt.Errorf("mailbox: close: %d mailbox(es) still running: %w", r.active.Load(), err)
		}
	}
}

// untaken reports messages left in this rank's inbox and rings at Close: they
// were sent and never delivered, and are reported rather than dropped.
func (r *Rank) untaken() error {
	var frames uint64
	count := func(ch *rma.Channel) {
		if st, err := ch.Stats(); err == nil {
			frames += st.Len()
		}
	}
	count(r.inbox)
	r.pool.mu.Lock()
	for i := range r.pool.created {
		s := r.pool.slots[i].Load()
		count(s.ch)
		s.mu.Lock()
		frames += uint64(len(s.relayQ))
		s.mu.Unlock()
	}
	r.pool.mu.Unlock()
	if frames == 0 {
		return nil
	}
	return fmt.Errorf("mailbox: rank %d closed with %d undelivered frame(s) in its mailboxes: %w", r.rank, frames, rma.ErrUntaken)
}
