// Package invertedindex builds an inverted index on package mapreduce:
// for every word of a file or a directory of them, the sorted list of the
// files it occurs in. Each rank writes its part of the index to a
// part-NNNNN file ("word<TAB>[file file ...]", sorted by word), and rank 0
// prints how many words and postings there are, with the words found in
// the most files; --check compares the whole index with a sequential one.
// Words are wordcount's (letters and digits, lower-cased). cmd/actorrun
// runs it:
//
//	actorrun invertedindex --ranks 4 --out /tmp/index <file or dir>
package invertedindex

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/rmactor/rmactor/apps/internal/jobflags"
	"github.com/rmactor/rmactor/apps/wordcount"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mapreduce"
	"github.com/rmactor/rmactor/rma"
)

// Config is the app's parameters.
type Config struct {
	Input string // file or directory
	Out   string // directory for the part files; none written if empty
	Top   int    // words found in the most files, printed
	Check bool   // compare the index with a sequential one on rank 0
	Job   jobflags.Flags
}

// DefaultConfig prints the 5 words found in the most files.
func DefaultConfig() Config { return Config{Top: 5} }

// Flags registers the app's flags on fs; the input is the first argument.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&cfg.Out, "out", cfg.Out, "directory for the part-NNNNN files of the index")
	fs.IntVar(&cfg.Top, "top", cfg.Top, "words found in the most files, printed")
	fs.BoolVar(&cfg.Check, "check", cfg.Check, "check the index against a sequential one on rank 0")
	cfg.Job.Register(fs)
}

// Cluster is the job configuration the app needs: the defaults.
func Cluster() cluster.Config { return cluster.Config{} }

// ErrMismatch reports an index that differs from the sequential one.
var ErrMismatch = errors.New("invertedindex: differs from the sequential index")

// Index is the job (collective): each rank's Result holds the posting
// lists of the words it owns. The mapper emits (word, file) once per word
// and file on each rank; the reduce gets every file a word was seen in
// (streamed, so a word in more files than memory holds still works) and
// keeps them sorted and distinct.
func Index(ctx context.Context, c *cluster.Cluster, input string, opts ...mapreduce.Option) (*mapreduce.Result[string, []string], error) {
	file, seen := "", map[string]struct{}{}
	mapper := func(l mapreduce.Line, emit func(string, string)) error {
		if l.File != file {
			file = l.File
			clear(seen)
		}
		return wordcount.EachWord(l.Text, func(w []byte) {
			if _, ok := seen[string(w)]; !ok {
				seen[string(w)] = struct{}{}
				emit(string(w), file)
			}
		})
	}
	postings := func(_ string, files iter.Seq[string]) ([]string, error) {
		return slices.Compact(slices.Sorted(files)), nil
	}
	return mapreduce.Reduce(ctx, c, "invertedindex", mapreduce.FileLines(input), mapper, postings, opts...)
}

// Run is the SPMD program; rank 0 writes the report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Input == "" || cfg.Top < 0 {
		return fmt.Errorf("%w: invertedindex needs an input and --top of at least 0", rma.ErrInvalidArgument)
	}
	if _, err := os.Stat(cfg.Input); err != nil {
		return fmt.Errorf("invertedindex: %w", err)
	}
	res, err := Index(ctx, c, cfg.Input, cfg.Job.Options(c, "invertedindex", out)...)
	if err != nil {
		return err
	}
	defer res.Close()
	if err := cfg.Job.Report(ctx, c, "invertedindex", res.Stats(), out); err != nil {
		return err
	}
	if cfg.Out != "" {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return fmt.Errorf("invertedindex: %w", err)
		}
		if _, err := res.WriteText(cfg.Out); err != nil {
			return err
		}
	}
	var postings int64
	for _, files := range res.All() {
		postings += int64(len(files))
	}
	if err := res.Err(); err != nil {
		return err
	}
	totals, err := cluster.Gather(ctx, c, []int64{int64(res.Len()), postings})
	if err != nil {
		return err
	}
	top, err := res.Top(ctx, cfg.Top, func(a, b mapreduce.Pair[string, []string]) bool { return len(a.Value) > len(b.Value) })
	if err != nil {
		return err
	}
	var all map[string][]string
	if cfg.Check {
		if all, err = res.Gather(ctx); err != nil {
			return err
		}
	}
	if c.Rank() != 0 {
		return nil
	}
	var words, posts int64
	for _, t := range totals {
		words, posts = words+t[0], posts+t[1]
	}
	fmt.Fprintf(out, "%d words, %d postings, %d ranks\n", words, posts, c.Size())
	for _, p := range top {
		fmt.Fprintf(out, "%8d %s\n", len(p.Value), p.Key)
	}
	if cfg.Check {
		want, err := sequential(cfg.Input)
		if err != nil {
			return err
		}
		if !maps.EqualFunc(all, want, slices.Equal[[]string]) {
			return fmt.Errorf("%w: %d words, sequential %d", ErrMismatch, len(all), len(want))
		}
		fmt.Fprintf(out, "check: matches the sequential index, all %d words\n", len(want))
	}
	return nil
}

// sequential is the reference index, built file by file on one rank.
func sequential(input string) (map[string][]string, error) {
	index := map[string][]string{}
	err := filepath.WalkDir(input, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		counts, err := wordcount.CountSequential(f)
		for w := range counts {
			index[w] = append(index[w], path)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("invertedindex: %w", err)
	}
	for w, files := range index {
		slices.Sort(files)
		index[w] = slices.Compact(files)
	}
	return index, nil
}
