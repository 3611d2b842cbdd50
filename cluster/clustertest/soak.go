package clustertest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/rmatest"
)

// SoakConfig bounds a soak run: it runs rounds until both Rounds rounds
// are done and For has passed.
type SoakConfig struct {
	Rounds int
	For    time.Duration
	// Seed makes the run reproducible: every random choice derives from it.
	Seed uint64
	// Warmup rounds run before the memory baseline is taken.
	Warmup int
	// HeapSlack is how much the live heap may grow in the last third of
	// the run in any case.
	HeapSlack uint64
	// Logf, if set, reports each checkpoint (on rank 0).
	Logf func(format string, args ...any)
}

// Soak limits: per rank and round.
const (
	soakMaxNodes = 8  // actors that relay tree messages
	soakMaxRoots = 16 // trees started
	soakMaxDepth = 6  // levels below a root
	soakMaxClaim = 64 // messages to the claimed actor of the next rank
)

// SoakTest runs Soak on the launcher's world of the given size (in
// process; under MPI the job's size), bounded by cfg.For plus five minutes.
func SoakTest(t *testing.T, launch rmatest.Launcher, ranks int, cfg SoakConfig) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.For+5*time.Minute)
	defer cancel()
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	err := launch(ctx, ranks, func(ctx context.Context, w rma.World) error {
		return cluster.RunOn(ctx, w, cluster.Config{}, func(ctx context.Context, c *cluster.Cluster) error {
			return Soak(ctx, c, cfg)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Soak runs rounds of random work on every rank and checks each one:
//
//   - every rank spawns a random number of node actors and one actor with
//     claims, and learns every rank's PIDs;
//   - every rank adds a random number of claims to the next rank's claimed
//     actor and sends it that many messages: it must stop after exactly
//     those;
//   - every rank starts random message trees: a node that gets a message
//     sends 0 to 3 children to random nodes of any rank, down to a random
//     depth, each message with an id of its own;
//   - Quiesce ends the round; rank 0 then checks that the number of
//     messages handled and a checksum of their ids equal those of the
//     trees and claims expanded sequentially (exactly-once delivery and no
//     premature termination), and every actor is stopped.
//
// After Warmup rounds every rank samples its live heap every ten rounds;
// the heap must not grow steadily (see heapSteady), nor the rings created
// by more than one round's actors. Soak is collective.
func Soak(ctx context.Context, c *cluster.Cluster, cfg SoakConfig) error {
	// Ranks of an MPI job may have picked different seeds: rank 0's wins.
	seed, err := cluster.Broadcast(ctx, c, wrapperspb.UInt64(cfg.Seed))
	if err != nil {
		return err
	}
	cfg.Seed = seed.Value
	s := &soak{c: c, cfg: cfg}
	s.logf("soak: seed %d on %d ranks", cfg.Seed, c.Size())
	start := time.Now()
	var heaps []uint64 // live heap every sampleEvery rounds after the warm-up
	var baseRings int
	const sampleEvery = 10
	round := 0
	for ; round < cfg.Rounds || time.Since(start) < cfg.For; round++ {
		if err := s.round(ctx, uint64(round)); err != nil {
			return fmt.Errorf("soak round %d (seed %d): %w", round, cfg.Seed, err)
		}
		if round+1 == cfg.Warmup {
			baseRings = c.System().Stats().Mailboxes
		}
		if round+1 >= cfg.Warmup && (round+1-cfg.Warmup)%sampleEvery == 0 {
			heaps = append(heaps, liveHeap())
		}
	}
	rings := c.System().Stats().Mailboxes
	s.logf("soak: %d rounds (%v), %d messages checked; live heap (KiB) after %d warm-up rounds, at a third, two thirds and the end: %v; %d rings after the warm-up, %d at the end",
		round, time.Since(start).Round(time.Millisecond), s.checked, cfg.Warmup, thirds(heaps), baseRings, rings)
	if err := heapSteady(heaps, cfg.HeapSlack); err != nil {
		return fmt.Errorf("rank %d: %w", c.Rank(), err)
	}
	if len(heaps) > 0 && rings > baseRings+soakMaxNodes+1 {
		return fmt.Errorf("rank %d: mailbox rings grew from %d to %d: stopped actors' rings are not reused", c.Rank(), baseRings, rings)
	}
	return nil
}

// heapSteady fails on a live heap that grows steadily: a leak grows it as
// much in the last third of the samples as in the first, while bounded
// structures filling up (protoactor's process registry shards, the
// resolved-PID cache) grow it less and less. Growth within slack passes.
func heapSteady(heaps []uint64, slack uint64) error {
	n := len(heaps)
	if n < 4 {
		return nil
	}
	growth := func(a, b uint64) uint64 {
		if b > a {
			return b - a
		}
		return 0
	}
	first := growth(heaps[0], heaps[n/3])
	last := growth(heaps[n-1-n/3], heaps[n-1])
	if last > slack && last > first/2 {
		return fmt.Errorf("live heap grew %d bytes in the last third of the run and %d in the first (slack %d): a leak", last, first, slack)
	}
	return nil
}

// thirds picks the samples heapSteady compares, in KiB.
func thirds(heaps []uint64) []uint64 {
	n := len(heaps)
	if n < 4 {
		return nil
	}
	return []uint64{heaps[0] >> 10, heaps[n/3] >> 10, heaps[n-1-n/3] >> 10, heaps[n-1] >> 10}
}

type soak struct {
	c       *cluster.Cluster
	cfg     SoakConfig
	checked uint64 // messages checked so far (rank 0)
}

func (s *soak) logf(format string, args ...any) {
	if s.cfg.Logf != nil && s.c.Rank() == 0 {
		s.cfg.Logf(format, args...)
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// mix is SplitMix64's finaliser: ids, choices and checksums come from it.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// A tree message's value packs its depth (top 4 bits) and an id.
func treeMsg(depth int, id uint64) uint64 { return uint64(depth)<<60 | id&(1<<60-1) }

func children(v uint64) (n int, depth int) {
	depth = int(v >> 60)
	if depth >= soakMaxDepth {
		return 0, depth
	}
	return int(mix(v) % 4), depth
}

func child(v uint64, i int) uint64 {
	_, depth := children(v)
	return treeMsg(depth+1, mix(v^uint64(i+1)*0x2545f4914f6cdd1d))
}

// roundPlan is what every rank can compute about a round alone.
type roundPlan struct {
	seed uint64
	size int
}

func (p roundPlan) nodes(rank int) int { return 1 + int(mix(p.seed^uint64(rank)<<8^1)%soakMaxNodes) }
func (p roundPlan) roots(rank int) int { return 1 + int(mix(p.seed^uint64(rank)<<8^2)%soakMaxRoots) }
func (p roundPlan) claims(rank int) int {
	return 1 + int(mix(p.seed^uint64(rank)<<8^3)%soakMaxClaim)
}
func (p roundPlan) root(rank, j int) uint64 {
	return treeMsg(0, mix(p.seed^uint64(rank)<<32^uint64(j)<<8^4))
}

// target picks the node a message goes to: a rank, then one of its nodes.
func (p roundPlan) target(v uint64) (rank, node int) {
	h := mix(v ^ 0x5bd1e995)
	rank = int(h % uint64(p.size))
	return rank, int((h >> 32) % uint64(p.nodes(rank)))
}

// claimValue is the i-th claimed message from a rank; its top bits keep it
// apart from tree messages.
func claimValue(p roundPlan, from, i int) uint64 {
	return 0xf<<60 | mix(p.seed^uint64(from)<<32^uint64(i)<<8^5)&(1<<60-1)
}

// expected expands the whole round sequentially: the number of messages
// and the checksum of their values.
func (p roundPlan) expected() (count, sum uint64) {
	var stack []uint64
	for k := range p.size {
		for j := range p.roots(k) {
			stack = append(stack, p.root(k, j))
		}
		for i := range p.claims(k) {
			count++
			sum += mix(claimValue(p, k, i))
		}
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		count++
		sum += mix(v)
		n, _ := children(v)
		for i := range n {
			stack = append(stack, child(v, i))
		}
	}
	return count, sum
}

func (s *soak) round(ctx context.Context, round uint64) error {
	c := s.c
	sys := c.System()
	plan := roundPlan{seed: mix(s.cfg.Seed ^ round<<16), size: c.Size()}
	var count, sum atomic.Uint64
	var peers [][]*actor.PID // filled before any tree message is sent
	handle := func(ac actor.Context, v uint64) {
		count.Add(1)
		sum.Add(mix(v))
		if v>>60 == 0xf {
			return // a claimed message
		}
		n, _ := children(v)
		for i := range n {
			ch := child(v, i)
			k, node := plan.target(ch)
			ac.Send(peers[k][node], wrapperspb.UInt64(ch))
		}
	}
	props := actor.PropsFromFunc(func(ac actor.Context) {
		if m, ok := ac.Message().(*wrapperspb.UInt64Value); ok {
			handle(ac, m.Value)
		}
	})
	mine := make([]*actor.PID, plan.nodes(c.Rank()))
	for i := range mine {
		pid, err := sys.Spawn(props)
		if err != nil {
			return err
		}
		mine[i] = pid
	}
	claimed, err := sys.Spawn(actor.PropsFromFunc(func(ac actor.Context) {
		if m, ok := ac.Message().(*wrapperspb.UInt64Value); ok {
			handle(ac, m.Value)
		}
	}, actor.WithClaims(0)))
	if err != nil {
		return err
	}
	ids := []string{claimed.Id}
	for _, p := range mine {
		ids = append(ids, p.Id)
	}
	all, err := exchangeIDs(ctx, c, strings.Join(ids, " "))
	if err != nil {
		return err
	}
	peers = make([][]*actor.PID, c.Size())
	claimedOf := make([]*actor.PID, c.Size())
	for k, joined := range all {
		list := strings.Fields(joined)
		if len(list) != 1+plan.nodes(k) {
			return fmt.Errorf("rank %d announced %d actors, the plan says %d", k, len(list), 1+plan.nodes(k))
		}
		claimedOf[k] = actor.PIDOn(k, list[0])
		for _, id := range list[1:] {
			peers[k] = append(peers[k], actor.PIDOn(k, id))
		}
	}
	// No tree message may reach a rank before it has its peers.
	if err := c.Barrier(ctx); err != nil {
		return err
	}
	next := claimedOf[(c.Rank()+1)%c.Size()]
	n := plan.claims(c.Rank())
	if err := sys.AddClaims(next, n); err != nil {
		return err
	}
	for i := range n {
		if err := sys.Send(ctx, next, wrapperspb.UInt64(claimValue(plan, c.Rank(), i))); err != nil {
			return err
		}
	}
	for j := range plan.roots(c.Rank()) {
		v := plan.root(c.Rank(), j)
		k, node := plan.target(v)
		if err := sys.Send(ctx, peers[k][node], wrapperspb.UInt64(v)); err != nil {
			return err
		}
	}
	if err := c.Quiesce(ctx); err != nil {
		return err
	}
	if err := sys.Wait(ctx, next); err != nil {
		return fmt.Errorf("the claimed actor of the next rank did not stop after its %d claims: %w", n, err)
	}
	counts, err := cluster.Gather(ctx, c, wrapperspb.UInt64(count.Load()))
	if err != nil {
		return err
	}
	sums, err := cluster.Gather(ctx, c, wrapperspb.UInt64(sum.Load()))
	if err != nil {
		return err
	}
	if c.Rank() == 0 {
		var gotCount, gotSum uint64
		for k := range counts {
			gotCount += counts[k].Value
			gotSum += sums[k].Value
		}
		wantCount, wantSum := plan.expected()
		if gotCount != wantCount || gotSum != wantSum {
			return fmt.Errorf("messages handled: %d (checksum %#x), expected %d (%#x)", gotCount, gotSum, wantCount, wantSum)
		}
		s.checked += gotCount
	}
	for _, p := range mine {
		if err := sys.Root().StopFuture(p).Wait(); err != nil {
			return err
		}
	}
	// No rank may spawn the next round's actors into PIDs a slower rank
	// still sends to.
	return c.Barrier(ctx)
}
