// Package pagerank is a multi-pass job on package mapreduce: PageRank over
// a generated graph, each iteration a map-reduce whose input is the
// previous one's output (Result.Source). A node's value carries its rank
// and its out-links; the fold adds ranks and keeps the links, so one job
// both moves rank along the edges and keeps the graph. Rank 0 prints the
// highest-ranked nodes; --check runs the same iterations sequentially and
// compares every rank. cmd/actorrun runs it:
//
//	actorrun pagerank --ranks 4 --nodes 100000 --iterations 10
package pagerank

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mapreduce"
	"github.com/rmactor/rmactor/rma"
)

// Config is the app's parameters.
type Config struct {
	Nodes      int     // nodes of the generated graph
	Degree     int     // most out-links per node (each has 1 to Degree)
	Iterations int     // PageRank iterations, one map-reduce each
	Damping    float64 // the damping factor
	Top        int     // highest-ranked nodes printed
	Check      bool    // compare with a sequential PageRank on rank 0
}

// DefaultConfig is 10 000 nodes of up to 8 out-links, 10 iterations.
func DefaultConfig() Config {
	return Config{Nodes: 10000, Degree: 8, Iterations: 10, Damping: 0.85, Top: 5}
}

// Flags registers the app's flags on fs.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "nodes of the generated graph")
	fs.IntVar(&cfg.Degree, "degree", cfg.Degree, "most out-links per node")
	fs.IntVar(&cfg.Iterations, "iterations", cfg.Iterations, "PageRank iterations")
	fs.Float64Var(&cfg.Damping, "damping", cfg.Damping, "damping factor")
	fs.IntVar(&cfg.Top, "top", cfg.Top, "highest-ranked nodes printed")
	fs.BoolVar(&cfg.Check, "check", cfg.Check, "compare with a sequential PageRank on rank 0")
}

// Cluster is the job configuration the app needs: the defaults.
func Cluster() cluster.Config { return cluster.Config{} }

// ErrMismatch reports ranks that differ from the sequential PageRank.
var ErrMismatch = errors.New("pagerank: ranks differ from the sequential PageRank")

// Node is a node's value in a pass: its rank (or a share of it), and its
// out-links once Linked.
type Node struct {
	Rank   float64
	Links  []int
	Linked bool
}

// merge is the fold: ranks add up, the links come from whichever value
// carries them (exactly one per node per pass).
func merge(a, b Node) Node {
	if !a.Linked {
		a.Links, a.Linked = b.Links, b.Linked
	}
	a.Rank += b.Rank
	return a
}

// links is node n's out-links: 1 to degree distinct other nodes, from a
// generator seeded by n, the same on every rank.
func links(n, nodes, degree int) []int {
	rng := rand.New(rand.NewPCG(uint64(n), 0x9a9e))
	k := 1 + rng.IntN(degree)
	seen := map[int]bool{n: true}
	var out []int
	for len(out) < min(k, nodes-1) {
		if t := rng.IntN(nodes); !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Run is the SPMD program; rank 0 writes the report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Nodes < 2 || cfg.Degree < 1 || cfg.Iterations < 0 || cfg.Damping < 0 || cfg.Damping > 1 || cfg.Top < 0 {
		return fmt.Errorf("%w: pagerank %+v", rma.ErrInvalidArgument, cfg)
	}
	ids := make([]int, cfg.Nodes)
	for i := range ids {
		ids[i] = i
	}
	n := float64(cfg.Nodes)
	// Pass 0 builds the graph with every rank at 1/N.
	res, err := mapreduce.Run(ctx, c, "pagerank.0", mapreduce.Slice(ids), func(id int, emit func(int, Node)) error {
		emit(id, Node{Rank: 1 / n, Links: links(id, cfg.Nodes, cfg.Degree), Linked: true})
		return nil
	}, merge)
	if err != nil {
		return err
	}
	for it := 1; it <= cfg.Iterations; it++ {
		step := func(p mapreduce.Pair[int, Node], emit func(int, Node)) error {
			emit(p.Key, Node{Rank: (1 - cfg.Damping) / n, Links: p.Value.Links, Linked: true})
			share := cfg.Damping * p.Value.Rank / float64(len(p.Value.Links))
			for _, t := range p.Value.Links {
				emit(t, Node{Rank: share})
			}
			return nil
		}
		if res, err = mapreduce.Run(ctx, c, fmt.Sprintf("pagerank.%d", it), res.Source(), step, merge); err != nil {
			return err
		}
	}
	top, err := res.Top(ctx, cfg.Top, func(a, b mapreduce.Pair[int, Node]) bool { return a.Value.Rank > b.Value.Rank })
	if err != nil {
		return err
	}
	var all map[int]Node
	if cfg.Check {
		if all, err = res.Gather(ctx); err != nil {
			return err
		}
	}
	if c.Rank() != 0 {
		return nil
	}
	fmt.Fprintf(out, "pagerank: %d nodes, %d iterations on %d ranks\n", cfg.Nodes, cfg.Iterations, c.Size())
	for _, p := range top {
		fmt.Fprintf(out, "%8d %.6e\n", p.Key, p.Value.Rank)
	}
	if cfg.Check {
		want := sequential(cfg)
		worst := 0.0
		for id, r := range want {
			worst = max(worst, math.Abs(all[id].Rank-r))
		}
		if len(all) != len(want) || worst > 1e-12 {
			return fmt.Errorf("%w: %d nodes (want %d), largest difference %.3g", ErrMismatch, len(all), len(want), worst)
		}
		fmt.Fprintf(out, "check: matches the sequential PageRank, all %d nodes\n", len(want))
	}
	return nil
}

// sequential is the same iterations on one rank.
func sequential(cfg Config) []float64 {
	n := float64(cfg.Nodes)
	out := make([][]int, cfg.Nodes)
	rank := make([]float64, cfg.Nodes)
	for i := range out {
		out[i] = links(i, cfg.Nodes, cfg.Degree)
		rank[i] = 1 / n
	}
	for range cfg.Iterations {
		next := make([]float64, cfg.Nodes)
		for i := range next {
			next[i] = (1 - cfg.Damping) / n
		}
		for i, ls := range out {
			for _, t := range ls {
				next[t] += cfg.Damping * rank[i] / float64(len(ls))
			}
		}
		rank = next
	}
	return rank
}
