// Command actorrun runs rmactor's example apps:
//
//	actorrun <app> [flags]          in-process ranks (--ranks N)
//	mpirun -n N actorrun <app> ...  as an MPI job, from a -tags mpi build
//
// actorrun --help lists the apps; actorrun <app> --help lists its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"time"

	"github.com/rmactor/rmactor/apps/histogram"
	"github.com/rmactor/rmactor/apps/indexgather"
	"github.com/rmactor/rmactor/apps/invertedindex"
	"github.com/rmactor/rmactor/apps/pagerank"
	"github.com/rmactor/rmactor/apps/pi"
	"github.com/rmactor/rmactor/apps/pingpong"
	"github.com/rmactor/rmactor/apps/prodcons"
	"github.com/rmactor/rmactor/apps/wordcount"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/rma"
)

// app is one runnable app: its summary, and a setup that registers its
// flags and returns, for once they are parsed, the job configuration and
// how to run it on a rank.
type app struct {
	summary string
	args    string // positional arguments, for the usage line
	setup   func(fs *flag.FlagSet) (func() cluster.Config, runner)
	// world, for apps that start their own actor systems on the world
	// instead of a cluster: it returns the program every rank runs.
	world func(fs *flag.FlagSet) func(out io.Writer) rma.Program
}

// runner runs an app on one rank, with the positional arguments.
type runner func(ctx context.Context, c *cluster.Cluster, args []string, out io.Writer) error

func noArgs(name string, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: %s takes no arguments, got %q", rma.ErrInvalidArgument, name, args)
	}
	return nil
}

// shared is the flags actorrun parses for every app that a map-reduce app
// passes on to its jobs: their counters with --stats, their progress with
// --progress.
type shared struct {
	stats  bool
	every  time.Duration
	stderr io.Writer
}

func apps(g *shared) map[string]app {
	return map[string]app{
		"pi": {
			summary: "task farm (package farm): rank 0 maps integration tasks over workers on every rank; reports tasks/s",
			setup: func(fs *flag.FlagSet) (func() cluster.Config, runner) {
				cfg := pi.DefaultConfig()
				cfg.Flags(fs)
				return pi.Cluster, func(ctx context.Context, c *cluster.Cluster, args []string, out io.Writer) error {
					if err := noArgs("pi", args); err != nil {
						return err
					}
					return pi.Run(ctx, c, cfg, out)
				}
			},
		},
		"histogram": {
			summary: "bale histogram: random increments to a table spread over the ranks, a message each; updates/s per rank",
			setup: func(fs *flag.FlagSet) (func() cluster.Config, runner) {
				cfg := histogram.DefaultConfig()
				cfg.Flags(fs)
				return func() cluster.Config { return histogram.Cluster(cfg) },
					func(ctx context.Context, c *cluster.Cluster, args []string, out io.Writer) error {
						if err := noArgs("histogram", args); err != nil {
							return err
						}
						return histogram.Run(ctx, c, cfg, out)
					}
			},
		},
		"indexgather": {
			summary: "bale index-gather: random reads of a table spread over the ranks, pipelined requests; reads/s per rank",
			setup: func(fs *flag.FlagSet) (func() cluster.Config, runner) {
				cfg := indexgather.DefaultConfig()
				cfg.Flags(fs)
				return func() cluster.Config { return indexgather.Cluster(cfg) },
					func(ctx context.Context, c *cluster.Cluster, args []string, out io.Writer) error {
						if err := noArgs("indexgather", args); err != nil {
							return err
						}
						return indexgather.Run(ctx, c, cfg, out)
					}
			},
		},
		"pingpong": {
			summary: "cross-rank one-way throughput and request/actor round trips between ranks 0 and 1",
			world: func(fs *flag.FlagSet) func(io.Writer) rma.Program {
				cfg := pingpong.DefaultConfig()
				cfg.Flags(fs)
				return func(out io.Writer) rma.Program {
					return func(ctx context.Context, w rma.World) error { return pingpong.Run(ctx, w, cfg, out) }
				}
			},
		},
		"producer-consumer": {
			summary: "rank 0 deals records to consumer actors that end through claims; checked against a sequential sum",
			world: func(fs *flag.FlagSet) func(io.Writer) rma.Program {
				cfg := prodcons.DefaultConfig()
				cfg.Flags(fs)
				return func(out io.Writer) rma.Program {
					// Only rank 0 writes.
					return func(ctx context.Context, w rma.World) error { return prodcons.Run(ctx, w, cfg, out) }
				}
			},
		},
		"wordcount": {
			summary: "map-reduce word count of a file or directory (package mapreduce): top words, --check against a sequential count",
			args:    "<file or dir>",
			setup: func(fs *flag.FlagSet) (func() cluster.Config, runner) {
				cfg := wordcount.DefaultConfig()
				cfg.Flags(fs)
				return wordcount.Cluster, func(ctx context.Context, c *cluster.Cluster, args []string, out io.Writer) error {
					if len(args) != 1 {
						return fmt.Errorf("%w: wordcount takes one input, a file or a directory", rma.ErrInvalidArgument)
					}
					rankCfg := cfg // ranks may share this process
					rankCfg.Input = args[0]
					rankCfg.Job.Stats, rankCfg.Job.Every, rankCfg.Job.Log = g.stats, g.every, g.stderr
					return wordcount.Run(ctx, c, rankCfg, out)
				}
			},
		},
		"pagerank": {
			summary: "multi-pass map-reduce (package mapreduce): PageRank over a generated graph, one job per iteration chained on the last; --check against a sequential PageRank",
			setup: func(fs *flag.FlagSet) (func() cluster.Config, runner) {
				cfg := pagerank.DefaultConfig()
				cfg.Flags(fs)
				return pagerank.Cluster, func(ctx context.Context, c *cluster.Cluster, args []string, out io.Writer) error {
					if err := noArgs("pagerank", args); err != nil {
						return err
					}
					return pagerank.Run(ctx, c, cfg, out)
				}
			},
		},
		"invertedindex": {
			summary: "inverted index of a file or directory (package mapreduce): word → sorted files, part files with --out, --check against a sequential index",
			args:    "<file or dir>",
			setup: func(fs *flag.FlagSet) (func() cluster.Config, runner) {
				cfg := invertedindex.DefaultConfig()
				cfg.Flags(fs)
				return invertedindex.Cluster, func(ctx context.Context, c *cluster.Cluster, args []string, out io.Writer) error {
					if len(args) != 1 {
						return fmt.Errorf("%w: invertedindex takes one input, a file or a directory", rma.ErrInvalidArgument)
					}
					rankCfg := cfg
					rankCfg.Input = args[0]
					rankCfg.Job.Stats, rankCfg.Job.Every, rankCfg.Job.Log = g.stats, g.every, g.stderr
					return invertedindex.Run(ctx, c, rankCfg, out)
				}
			},
		},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: actorrun <app> [--ranks N] [--stats] [--progress D] [app flags] [app arguments]\n\n")
	fmt.Fprintf(w, "Runs an rmactor app on N in-process ranks, or, built with -tags mpi and\nstarted by mpirun, on the ranks of the MPI job (backend here: %s).\n\napps:\n", launch.Backend())
	all := apps(&shared{})
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-24s %s\n", strings.TrimSpace(name+" "+all[name].args), all[name].summary)
	}
	fmt.Fprintf(w, "\nactorrun <app> --help lists the app's flags.\n")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	g := &shared{stderr: stderr}
	a, ok := apps(g)[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "actorrun: unknown app %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	fs := flag.NewFlagSet("actorrun "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	ranks := fs.Int("ranks", 2, "in-process ranks (under MPI the job's size)")
	stats := fs.Bool("stats", false, "print each rank's transport counters at the end (and a map-reduce app's job counters)")
	every := fs.Duration("progress", 10*time.Second, "how often rank 0 prints a progress line to stderr (0: never; a map-reduce app's job progress too)")
	if a.world != nil {
		return runWorld(a, fs, args, ranks, stats, stdout, stderr)
	}
	configure, runApp := a.setup(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	g.stats, g.every = *stats, *every
	cfg := configure()
	cfg.Ranks = *ranks
	cfg.Types = append(cfg.Types, codec.Type[*rankStats]("actorrun.stats"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := cluster.Run(ctx, cfg, func(ctx context.Context, c *cluster.Cluster) error {
		var out io.Writer = io.Discard
		if c.Rank() == 0 {
			out = stdout
			if *every > 0 {
				p := newProgress(stderr, c.System().Stats, c.System().Counts)
				defer p.run(*every)()
			}
		}
		if err := runApp(ctx, c, fs.Args(), out); err != nil {
			return err
		}
		if *stats {
			return printStats(ctx, c, out)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(stderr, "actorrun:", err)
		return 1
	}
	return 0
}

// runWorld runs an app that starts its own actor systems.
func runWorld(a app, fs *flag.FlagSet, args []string, ranks *int, stats *bool, stdout, stderr io.Writer) int {
	program := a.world(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "actorrun: %s takes no arguments, got %q\n", args[0], fs.Args())
		return 2
	}
	if *stats {
		fmt.Fprintf(stderr, "actorrun: --stats is not available for %s, which starts its own actor systems\n", args[0])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := launch.Run(ctx, *ranks, program(stdout)); err != nil {
		fmt.Fprintln(stderr, "actorrun:", err)
		return 1
	}
	return 0
}
