package mailbox

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// Mailbox is a protoactor Mailbox whose user queue is a RemoteChannel in the
// owner rank's arena window. Other ranks put frames of envelopes into the
// ring; messages from the same rank take an in-memory queue instead, so they
// are never serialised. Each sender reaches a given actor through one path
// only, so messages from one sender to one actor keep their order. System
// messages from this rank stay in memory.
//
// A mailbox binds to its rank and ring when protoactor registers its
// handlers: the ring reserved for the actor's id, if any. Mailboxes without a
// ring (named actors) receive other ranks' messages through the rank's inbox.
type Mailbox struct {
	opts mailboxOptions

	system    queue
	user      queue
	sysCount  atomic.Int32
	userCount atomic.Int32
	status    atomic.Int32
	// registered is set once RegisterHandlers has bound the mailbox;
	// regMu and early count messages posted before that.
	registered atomic.Bool
	regMu      sync.Mutex
	early      uint64
	suspended  atomic.Bool
	ready      atomic.Bool // the ring may hold frames: see doorbell.go

	invoker    actor.MessageInvoker
	dispatcher actor.Dispatcher
	system_    *actor.ActorSystem
	self       *actor.PID
	proc       actor.Process
	rank       *Rank
	slot       *ringSlot // nil for a mailbox without a ring
	inc        uint32

	// Owned by the goroutine running the mailbox.
	frame      []byte
	pending    []Entry
	next       int
	processed  uint64
	claimed    uint64 // claims last read: they only grow
	localFirst bool   // whose turn: the in-memory queue (true) or the ring
	claimsDone atomic.Bool
	holding    atomic.Bool // pending has entries not yet handed out
	released   bool        // the ring went back to the pool
	finished   atomic.Bool
	memClaims  atomic.Uint64 // claims word of a mailbox without a ring
}

const (
	idle int32 = iota
	running
)

type mailboxOptions struct {
	governed bool
	claims   uint64
}

// MailboxOption configures the mailboxes a Producer makes.
type MailboxOption func(*mailboxOptions)

// Claims makes the actor stop by itself once it has processed as many user
// messages as it has claims: n now, plus any added later with AddClaims.
// An actor spawned with Claims(0) processes messages until claims are added
// and reached. Claims must be added before the messages they cover are
// processed.
func Claims(n uint64) MailboxOption {
	return func(o *mailboxOptions) {
		o.governed = true
		o.claims = min(n, MaxClaims)
	}
}

// Producer makes mailboxes for actors of a System: pass it to
// actor.WithMailbox. The mailbox finds its rank through the ActorSystem it is
// spawned in.
func Producer(opts ...MailboxOption) actor.MailboxProducer {
	var o mailboxOptions
	for _, opt := range opts {
		opt(&o)
	}
	return func() actor.Mailbox {
		return &Mailbox{opts: o}
	}
}

type contextOfSystem interface {
	Self() *actor.PID
	ActorSystem() *actor.ActorSystem
}

// RegisterHandlers binds the mailbox to its actor, rank and ring. protoactor
// registers the actor's id before it calls this, so messages may arrive
// first: they wait, counted, and the mailbox runs once it is bound.
func (m *Mailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.bind(invoker, dispatcher)
	m.regMu.Lock()
	m.registered.Store(true)
	early := m.early
	m.early = 0
	m.regMu.Unlock()
	if m.rank != nil {
		m.rank.sent.Add(early)
		m.rank.track(m)
	}
	if m.userCount.Load() > 0 || m.sysCount.Load() > 0 {
		m.schedule()
	}
}

func (m *Mailbox) bind(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.invoker = invoker
	m.dispatcher = dispatcher
	c, ok := invoker.(contextOfSystem)
	if !ok {
		return
	}
	m.self = c.Self()
	m.system_ = c.ActorSystem()
	m.proc, _ = m.system_.ProcessRegistry.GetLocal(m.self.Id)
	r, ok := RankOf(m.system_)
	if !ok {
		return
	}
	m.rank = r
	m.memClaims.Store(claimWord(0, m.opts.governed, m.opts.claims))
	a, has, err := ParseID(m.self.Id)
	if err != nil || !has {
		return
	}
	if err := r.bind(a, m); err != nil {
		r.cfg.Logger.Error("mailbox: actor id names a ring it does not own; it gets messages from this rank only",
			zapPID(m.self), zapErr(err))
	}
}

// Start is part of protoactor's Mailbox interface.
func (m *Mailbox) Start() {}

// UserMessageCount is the number of user messages waiting in memory (local
// ones and those already taken from the ring).
func (m *Mailbox) UserMessageCount() int { return int(m.userCount.Load()) }

// PostUserMessage queues a message from this rank, once the Handler has
// checked it (Handler.Local): same-rank messages meet the rules of
// messages from other ranks.
func (m *Mailbox) PostUserMessage(msg any) {
	m.countSent()
	if m.registered.Load() && m.rank != nil {
		v, ok := m.rank.h.Local(m.self, msg)
		if !ok {
			m.countDone()
			return
		}
		msg = v
	}
	m.post(&m.user, &m.userCount, msg)
}

// PostChecked queues a user message from this rank that the caller has
// already checked by Handler.Local's rules (the actor layer's direct
// same-rank path), so that it is not checked twice.
func (m *Mailbox) PostChecked(msg any) {
	m.countSent()
	m.post(&m.user, &m.userCount, msg)
}

// PostSystemMessage queues a system message from this rank.
func (m *Mailbox) PostSystemMessage(msg any) {
	m.countSent()
	m.post(&m.system, &m.sysCount, msg)
}

// post queues msg in q and runs the mailbox; messages for a stopped actor
// are dead letters. The caller counted msg as sent (this rank, or for inbox
// deliveries the rank that sent it).
func (m *Mailbox) post(q *queue, count *atomic.Int32, msg any) {
	if m.finished.Load() {
		m.dead(msg)
		return
	}
	q.push(msg)
	n := count.Add(1)
	// The rank is known once the mailbox is registered: before that,
	// bind may be writing it.
	if q == &m.user && m.registered.Load() && m.rank != nil {
		m.rank.stats.queueHigh.raise(int64(n))
	}
	m.schedule()
}

// schedule runs the mailbox unless it is running. Mailboxes of a rank run on
// the rank's workers (the dispatcher's throughput still bounds a run);
// others on their protoactor dispatcher.
func (m *Mailbox) schedule() {
	if !m.registered.Load() {
		// RegisterHandlers schedules what arrived before it.
		return
	}
	if m.status.CompareAndSwap(idle, running) {
		if m.rank != nil {
			m.rank.dispatch(m)
		} else {
			m.dispatcher.Schedule(m.process)
		}
	}
}

// hasWork reports whether the mailbox has something to run; held is
// whether the queue's batch in hand had messages left, read by the running
// goroutine before it gave the mailbox up (once the status is idle, another
// goroutine may be running it).
func (m *Mailbox) hasWork(held bool) bool {
	if m.sysCount.Load() > 0 {
		return true
	}
	if m.finished.Load() {
		return m.userCount.Load() > 0 || held
	}
	return !m.suspended.Load() && !m.claimsDone.Load() &&
		(m.userCount.Load() > 0 || held || m.ringReady() || m.holding.Load())
}

// process runs the mailbox until it has nothing to do. The status word makes
// it the only consumer of the queues and the ring while it runs.
func (m *Mailbox) process() {
	if m.rank != nil {
		// Close waits until no mailbox runs before it frees the windows.
		m.rank.active.Add(1)
		defer m.rank.active.Add(-1)
	}
	for {
		if m.finished.Load() {
			m.drainDead()
		} else {
			m.run()
		}
		held := m.user.holds()
		m.status.Store(idle)
		if !m.hasWork(held) {
			if m.rank != nil {
				// The actor goes idle: what it sent goes out now.
				m.rank.flushIdle()
			}
			return
		}
		if !m.status.CompareAndSwap(idle, running) {
			return
		}
	}
}

func (m *Mailbox) run() {
	var msg any
	inHand := false // msg is being handled and not yet counted done
	defer func() {
		if r := recover(); r != nil {
			// Escalating posts system messages (SuspendMailbox to this
			// mailbox, Failure to the parent): they are counted sent
			// before the failed message is counted done, or Quiesce could
			// see the sums equal between the two.
			m.invoker.EscalateFailure(r, msg)
			if inHand {
				m.countDone()
			}
		}
	}()
	budget := m.dispatcher.Throughput()
	for i := 0; ; i++ {
		if i >= budget {
			i = 0
			runtime.Gosched()
		}
		if v, ok := m.popSystem(); ok {
			m.sysCount.Add(-1)
			msg, inHand = v, true
			switch v.(type) {
			case *actor.SuspendMailbox:
				m.suspended.Store(true)
			case *actor.ResumeMailbox:
				m.suspended.Store(false)
			case *actor.Stop:
				// Retire the claims before the watchers hear Terminated, so
				// that a claim made after that fails as stale.
				m.retireClaims()
				m.invoker.InvokeSystemMessage(v)
			default:
				m.invoker.InvokeSystemMessage(v)
			}
			// Counted done only once handled: what it made the actor send
			// is counted sent by then (termination detection).
			m.countDone()
			inHand = false
			if m.stoppedNow() {
				m.finish()
				return
			}
			continue
		}
		if m.suspended.Load() || m.claimsDone.Load() {
			return
		}
		v, ok := m.nextUser()
		if !ok {
			return
		}
		msg, inHand = v, true
		m.invoker.InvokeUserMessage(v)
		// Reaching the claims posts a Stop: it is counted sent before the
		// message that caused it is counted done (termination detection,
		// models/termination.pml, CODE_LATE_POST).
		m.countProcessed()
		m.countDone()
		inHand = false
	}
}

// popUser pops a message from this rank's in-memory queue. The user count
// drops by a whole batch when the queue hands one over, not once per
// message: the count is written by every sender, and one write per batch
// keeps its cache line with the senders. So the count is what waits for
// the actor to begin a batch; what is left of the batch the actor took is
// the queue's (holds).
func (m *Mailbox) popUser() (any, bool) {
	v, ok := m.user.pop()
	if n := m.user.takeSwapped(); n > 0 {
		m.userCount.Add(-int32(n))
	}
	return v, ok
}

// popSystem pops a system message. The queue is looked at only when its
// count says it has something (pushed before counted): popping an empty
// queue takes its lock, once per user message otherwise.
func (m *Mailbox) popSystem() (any, bool) {
	if m.sysCount.Load() == 0 {
		return nil, false
	}
	return m.system.pop()
}

// nextUser returns the next user message: entries of the frame in hand
// first, then messages from this rank and frames from the ring in turn.
func (m *Mailbox) nextUser() (any, bool) {
	for {
		if m.next < len(m.pending) {
			e := m.pending[m.next]
			m.next++
			if m.next == len(m.pending) {
				m.holding.Store(false)
			}
			v, system, ok := m.decode(e)
			m.rank.recycle(e)
			if !ok {
				continue
			}
			if !system {
				return v, true
			}
			// A system message from another rank travels in the ring, in
			// order with that sender's user messages (a Watch before a
			// PoisonPill): queue it and return, so that it is handled
			// before the entries after it.
			m.system.push(v)
			m.sysCount.Add(1)
			return nil, false
		}
		// The ring and the in-memory queue take turns, a frame against a
		// message, so that neither starves the other: local traffic must
		// not hold back a Watch that arrived from another rank earlier.
		localFirst := m.localFirst
		if localFirst {
			if v, ok := m.popUser(); ok {
				m.localFirst = false
				return v, true
			}
		}
		if m.ready.Load() && m.slot != nil && !m.released && !m.rank.closing.Load() {
			// Clear the mark before the take: a frame committed after an
			// empty take rings the doorbell again, and the poller sets the
			// mark.
			m.ready.Store(false)
			if m.takeFrame() {
				m.ready.Store(true)
				m.localFirst = true
				continue
			}
		}
		if !localFirst {
			if v, ok := m.popUser(); ok {
				return v, true
			}
		}
		return nil, false
	}
}

// takeFrame takes one frame from the ring, or relayed, into pending.
func (m *Mailbox) takeFrame() bool {
	m.slot.mu.Lock()
	frame, pending, ok := m.slot.nextLocked(m.rank, m.frame, m.pending)
	m.slot.mu.Unlock()
	m.frame, m.pending = frame, pending
	if !ok {
		return false
	}
	m.rank.stats.queueHigh.raise(int64(len(m.pending)) + int64(m.userCount.Load()))
	m.next = 0
	m.holding.Store(len(m.pending) > 0)
	return true
}

// decode turns a ring entry into a message, or reports it as a dead letter.
func (m *Mailbox) decode(e Entry) (msg any, system, ok bool) {
	if e.Incarnation != m.inc {
		m.rank.h.DeadLetter(Address{Index: m.slot.index, Incarnation: e.Incarnation}.String(), e.Body, fmt.Errorf("%w: for incarnation %d, %s is incarnation %d",
			ErrStale, e.Incarnation, m.self.Id, m.inc))
		m.countDone()
		return nil, false, false
	}
	msg, system, ok = m.rank.h.Decode(m.self, e.Body)
	if !ok {
		m.countDone()
	}
	return msg, system, ok
}

func (m *Mailbox) countProcessed() {
	if !m.opts.governed {
		return
	}
	m.processed++
	if m.processed < m.claimed || m.claimsDone.Load() {
		return
	}
	w, err := m.claimWord()
	if err != nil {
		m.rank.cfg.Logger.Error("mailbox: claims unreadable", zapPID(m.self), zapErr(err))
		return
	}
	m.claimed = claimCount(w)
	if n := m.claimed; n > 0 && m.processed >= n {
		m.claimsDone.Store(true)
		if m.proc != nil {
			m.proc.Stop(m.self)
		}
	}
}

func (m *Mailbox) claimWord() (uint64, error) {
	if m.slot == nil {
		return m.memClaims.Load(), nil
	}
	return m.rank.ctl.Load(m.rank.rank, claimsOffset(m.slot.tok))
}

// retireClaims makes later claims for this actor fail with ErrStale. The
// ring's word gets the next incarnation, the one release will publish.
func (m *Mailbox) retireClaims() {
	if m.rank == nil {
		return
	}
	m.memClaims.Store(claimWord(1, false, 0))
	if m.slot == nil {
		return
	}
	if err := m.rank.ctl.Store(m.rank.rank, claimsOffset(m.slot.tok), claimWord(m.inc+1, false, 0)); err != nil {
		m.rank.cfg.Logger.Error("mailbox: retiring claims", zapPID(m.self), zapErr(err))
	}
}

// addLocalClaims adds claims to a mailbox without a ring.
func (m *Mailbox) addLocalClaims(n uint64) error {
	for {
		w := m.memClaims.Load()
		if claimInc(w) != 0 {
			return fmt.Errorf("%w: %s has stopped", ErrStale, m.self.Id)
		}
		if !claimIsGoverned(w) {
			return fmt.Errorf("%w: %s", ErrNotClaimed, m.self.Id)
		}
		if n > MaxClaims-claimCount(w) {
			return fmt.Errorf("%w: %d + %d", ErrTooManyClaims, claimCount(w), n)
		}
		if m.memClaims.CompareAndSwap(w, w+n) {
			return nil
		}
	}
}

// stoppedNow reports whether the actor has finished stopping: protoactor
// removes it from the registry first thing.
func (m *Mailbox) stoppedNow() bool {
	if m.system_ == nil || m.proc == nil {
		return false
	}
	p, _ := m.system_.ProcessRegistry.GetLocal(m.self.Id)
	return p != m.proc
}

// finish reports every message left for the stopped actor as a dead letter
// and returns the ring to the pool. Messages posted later are reported by
// drainDead when they schedule the mailbox.
func (m *Mailbox) finish() {
	m.finished.Store(true)
	if m.slot != nil {
		m.ready.Store(true)
	}
	m.drainDead()
	if m.rank == nil {
		return
	}
	m.rank.untrack(m)
	if m.slot != nil {
		m.rank.release(m.slot, m)
		m.released = true
	}
}

// drainDead reports everything queued for a stopped actor as dead letters.
func (m *Mailbox) drainDead() {
	for {
		if v, ok := m.system.pop(); ok {
			m.sysCount.Add(-1)
			m.dead(v)
			continue
		}
		if v, ok := m.nextUser(); ok {
			m.dead(v)
			continue
		}
		if m.sysCount.Load() == 0 && !m.holding.Load() {
			return
		}
	}
}

func (m *Mailbox) dead(msg any) {
	if m.rank == nil {
		return
	}
	m.rank.h.DeadMessage(m.self, msg)
	m.countDone()
}

// countSent counts a message posted from this rank. Before the mailbox is
// bound its rank is unknown: the count waits in early.
func (m *Mailbox) countSent() {
	if !m.registered.Load() {
		m.regMu.Lock()
		if !m.registered.Load() {
			m.early++
			m.regMu.Unlock()
			return
		}
		m.regMu.Unlock()
	}
	if m.rank != nil {
		m.rank.sent.Add(1)
	}
}

func (m *Mailbox) countDone() {
	if m.rank != nil {
		m.rank.done.Add(1)
	}
}
