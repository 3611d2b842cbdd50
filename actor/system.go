package actor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	pa "github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

// ErrInvalidPID reports a PID whose address is not "rank:N" of this world.
var ErrInvalidPID = errors.New("actor: PID does not name a rank of this world")

// System is one rank's actor system: a protoactor ActorSystem whose address
// is "rank:N", whose actors' mailboxes are RemoteChannels in this rank's
// window, and whose PIDs of other ranks resolve to those ranks' mailboxes.
// Every rank of a world makes one, collectively, with the same options.
type System struct {
	cfg   config
	world rma.World
	rank  int
	as    *pa.ActorSystem
	mb    *mailbox.Rank
	addrs []string
	log   *zap.Logger
	bufs  sync.Pool
	held  holders

	names   nameCache
	cacheMu sync.RWMutex
	cache   map[remoteKey]*remoteProcess
}

// NewSystem starts this rank's actor system. It is collective: every rank
// of w calls it, with the same options.
func NewSystem(ctx context.Context, w rma.World, opts ...Option) (*System, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.codec == nil {
		c, err := codec.New()
		if err != nil {
			return nil, err
		}
		cfg.codec = c
	}
	s := &System{cfg: cfg, world: w, rank: w.Rank(), cache: make(map[remoteKey]*remoteProcess)}
	s.log = cfg.logger.With(zap.Int("rank", s.rank))
	s.addrs = make([]string, w.Size())
	for k := range s.addrs {
		s.addrs[k] = rankAddress(k)
	}
	s.bufs.New = func() any { return new(buffers) }
	s.as = pa.NewActorSystem(protoactorLogger(s.log, cfg.protoLevel))
	// The address must be set before anything is spawned: PIDs copy it.
	s.as.ProcessRegistry.Address = s.addrs[s.rank]
	base := []mailbox.Option{mailbox.WithLogger(s.log)}
	if v := os.Getenv("RMACTOR_RELAY"); v != "" {
		// The operator's choice of path across ranks; options win.
		mode, err := mailbox.ParseRelayMode(v)
		if err != nil {
			s.as.Shutdown()
			return nil, fmt.Errorf("actor: RMACTOR_RELAY: %w", err)
		}
		base = append(base, mailbox.WithRelay(mode))
	}
	mb, err := mailbox.NewRank(ctx, w, (*handler)(s), append(base, cfg.mailbox...)...)
	if err != nil {
		s.as.Shutdown()
		return nil, fmt.Errorf("actor: new system on rank %d: %w", s.rank, err)
	}
	s.mb = mb
	mb.Install(s.as)
	s.as.ProcessRegistry.RegisterAddressResolver(s.resolve)
	return s, nil
}

func rankAddress(k int) string { return "rank:" + strconv.Itoa(k) }

// RankOfPID is the rank a PID's address names ("rank:N").
func RankOfPID(pid *PID) (int, error) {
	if pid == nil {
		return 0, fmt.Errorf("%w: nil PID", ErrInvalidPID)
	}
	n, ok := strings.CutPrefix(pid.Address, "rank:")
	if !ok {
		return 0, fmt.Errorf("%w: address %q", ErrInvalidPID, pid.Address)
	}
	k, err := strconv.Atoi(n)
	if err != nil || k < 0 || strconv.Itoa(k) != n {
		return 0, fmt.Errorf("%w: address %q", ErrInvalidPID, pid.Address)
	}
	return k, nil
}

// PIDOn names the actor with the given id on rank k: a named actor
// ("ponger"), or an id a PID of that rank carries.
func PIDOn(k int, id string) *PID { return pa.NewPID(rankAddress(k), id) }

// Rank is this system's rank.
func (s *System) Rank() int { return s.rank }

// Size is the number of ranks.
func (s *System) Size() int { return s.world.Size() }

// Address is this rank's actor address, "rank:N".
func (s *System) Address() string { return s.addrs[s.rank] }

// ActorSystem is the underlying protoactor actor system.
func (s *System) ActorSystem() *ActorSystem { return s.as }

// Root is the root context for sending and spawning from outside actors.
// Its Send never blocks; use System.Send to be slowed by full mailboxes.
func (s *System) Root() *RootContext { return s.as.Root }

// Logger is the system's logger.
func (s *System) Logger() *zap.Logger { return s.log }

// Counts reads this rank's termination-detection counters: messages sent
// (to a mailbox or another rank) and messages that ended here (handled by
// an actor, delivered to a future, or dead-lettered). Summed over all ranks
// they are equal only when no message is in flight or being handled.
func (s *System) Counts() (sent, done uint64) { return s.mb.Counts() }

// Stats is a rank's transport counters: messages, frames, batches and
// bytes sent and received, relayed frames, staging and waits.
type Stats = mailbox.Stats

// Stats reads this rank's transport counters.
func (s *System) Stats() Stats { return s.mb.Stats() }

// Spawn starts an actor on this rank. Unlike RootContext.Spawn it returns
// errors (an exhausted mailbox arena) instead of panicking.
func (s *System) Spawn(props *Props) (*PID, error) {
	return s.as.Root.SpawnNamed(props, s.as.ProcessRegistry.NextId())
}

// SpawnNamed starts an actor with a name, reachable from every rank as
// PIDOn(rank, name).
func (s *System) SpawnNamed(props *Props, name string) (*PID, error) {
	return s.as.Root.SpawnNamed(props, name)
}

// AddClaims adds n claims to an actor spawned WithClaims, from any rank.
// Claims for an actor that has stopped fail with mailbox.ErrStale.
func (s *System) AddClaims(pid *PID, n int) error {
	k, err := s.rankOf(pid)
	if err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("actor: AddClaims(%s, %d): %w", pid.Id, n, rma.ErrNegativeClaim)
	}
	return s.mb.AddClaims(k, pid.Id, int64(n))
}

func (s *System) rankOf(pid *PID) (int, error) {
	k, err := RankOfPID(pid)
	if err != nil {
		return 0, err
	}
	if k >= len(s.addrs) {
		return 0, fmt.Errorf("%w: rank %d of %d (%s): %w", ErrInvalidPID, k, len(s.addrs), pid.Id, rma.ErrInvalidRank)
	}
	return k, nil
}

// Send delivers msg to pid like RootContext.Send, but reports what cannot be
// sent (a message type the codec does not know, a message larger than a
// mailbox slot, an invalid PID: then nothing is sent), and once msg is
// queued waits while the target mailbox is full, so that a producer outside
// actors is slowed by its consumer. If ctx ends during that wait, Send
// returns an error wrapping mailbox.ErrMailboxFull and ctx's error; msg
// is still delivered.
func (s *System) Send(ctx context.Context, pid *PID, msg any) error {
	k, err := s.rankOf(pid)
	if err != nil {
		return err
	}
	if k == s.rank {
		if err := s.sendLocal(pid, msg); err != nil {
			return fmt.Errorf("actor: send to %s: %w", pid.Id, err)
		}
		if m, ok := s.mb.Lookup(pid.Id); ok {
			if err := waitFor(ctx, func() bool { return m.UserMessageCount() <= s.cfg.capacity }); err != nil {
				return fmt.Errorf("actor: send to %s: %w: %w", pid.Id, mailbox.ErrMailboxFull, err)
			}
		}
		return nil
	}
	p, err := s.remote(pid)
	if err != nil {
		return err
	}
	if err := p.sendUser(msg); err != nil {
		return err
	}
	return p.user.WaitRoom(ctx, s.cfg.capacity)
}

// Close shuts this rank's system down. It is collective: call it on every
// rank once the actors' work is done. Messages still queued for other ranks
// are flushed first; messages never delivered are reported (rma.ErrUntaken).
func (s *System) Close(ctx context.Context) error {
	err := s.mb.Close(ctx)
	s.as.Shutdown()
	return err
}

// waitFor polls cond, backing off, until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) error {
	var idle mailbox.Idler
	for !cond() {
		if err := idle.Pause(ctx); err != nil {
			return err
		}
	}
	return nil
}
