// Package wordcount is a word count on package mapreduce, over a file or a
// directory of them, text or not (see CountSequential for what a word is).
// Every rank maps an equal byte range of the corpus, cut at line
// boundaries (mapreduce.Blocks: no line or word length limit); counts are
// combined locally, shuffled to the rank that owns each word, and summed
// there. Rank 0 prints the total, the number of distinct words and the top
// N; --check compares the whole table with a sequential count. cmd/actorrun
// runs it:
//
//	actorrun wordcount --ranks 4 --top 10 <file or dir>
package wordcount

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rmactor/rmactor/apps/internal/jobflags"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mapreduce"
	"github.com/rmactor/rmactor/rma"
)

// Config is the app's parameters.
type Config struct {
	Input string // file or directory
	Top   int    // words to print
	Check bool   // compare every count with a sequential count on rank 0
	Time  bool   // report the time, next to a sequential count timed on rank 0
	Job   jobflags.Flags
}

// DefaultConfig prints the top 10 words.
func DefaultConfig() Config { return Config{Top: 10} }

// Flags registers the app's flags on fs; the input is the first argument.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Top, "top", cfg.Top, "words to print")
	fs.BoolVar(&cfg.Check, "check", cfg.Check, "check every count against a sequential word count on rank 0")
	fs.BoolVar(&cfg.Time, "time", cfg.Time, "report the run time next to a plain sequential word count timed on rank 0")
	cfg.Job.Register(fs)
}

// Cluster is the job configuration the app needs: the defaults.
func Cluster() cluster.Config { return cluster.Config{} }

// maxTop bounds --top: the top words travel to rank 0 in one message each.
const maxTop = 1 << 15

// ErrMismatch reports counts that differ from the sequential reference.
var ErrMismatch = errors.New("wordcount: counts differ from the sequential count")

// Count is the map-reduce job (collective): each rank's Result holds the
// counts of the words it owns.
func Count(ctx context.Context, c *cluster.Cluster, input string, opts ...mapreduce.Option) (*mapreduce.Result[string, int64], error) {
	var emitPair func(string, int64)
	s := newSplitter(func(w []byte) { emitPair(mapreduce.BytesKey(w), 1) })
	words := func(line []byte, emit func(string, int64)) error {
		emitPair = emit
		_, _ = s.Write(line)
		return s.Close()
	}
	return mapreduce.Run(ctx, c, "wordcount", mapreduce.Blocks(input), words, func(a, b int64) int64 { return a + b }, opts...)
}

// Run is the SPMD program; rank 0 writes the report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Input == "" || cfg.Top < 1 || cfg.Top > maxTop {
		return fmt.Errorf("%w: wordcount needs an input and --top from 1 to %d", rma.ErrInvalidArgument, maxTop)
	}
	if _, err := os.Stat(cfg.Input); err != nil {
		return fmt.Errorf("wordcount: %w", err)
	}
	start := time.Now()
	res, err := Count(ctx, c, cfg.Input, cfg.Job.Options(c, "wordcount", out)...)
	if err != nil {
		return err
	}
	defer res.Close()
	var local int64
	for _, n := range res.All() {
		local += n
	}
	if err := res.Err(); err != nil {
		return err
	}
	totals, err := cluster.Gather(ctx, c, []int64{local, int64(res.Len())})
	if err != nil {
		return err
	}
	top, err := res.Top(ctx, cfg.Top, func(a, b mapreduce.Pair[string, int64]) bool { return a.Value > b.Value })
	if err != nil {
		return err
	}
	if err := cfg.Job.Report(ctx, c, "wordcount", res.Stats(), out); err != nil {
		return err
	}
	var table map[string]int64
	if cfg.Check {
		if table, err = res.Gather(ctx); err != nil {
			return err
		}
	}
	if c.Rank() != 0 {
		return nil
	}
	elapsed := time.Since(start)
	var total, distinct int64
	for _, t := range totals {
		total, distinct = total+t[0], distinct+t[1]
	}
	fmt.Fprintf(out, "%d words, %d distinct, %d ranks\n", total, distinct, c.Size())
	for _, p := range top {
		fmt.Fprintf(out, "%8d %s\n", p.Value, p.Key)
	}
	if cfg.Time {
		files, bytes, err := listFiles(cfg.Input)
		if err != nil {
			return err
		}
		seqStart := time.Now()
		if _, err := countFiles(files); err != nil {
			return err
		}
		seq := time.Since(seqStart)
		fmt.Fprintf(out, "time: %.2f s for %.0f MB on %d ranks (%.1f MB/s); sequential Go word count %.2f s (%.1f MB/s): %.2f×\n",
			elapsed.Seconds(), float64(bytes)/1e6, c.Size(), float64(bytes)/1e6/elapsed.Seconds(),
			seq.Seconds(), float64(bytes)/1e6/seq.Seconds(), seq.Seconds()/elapsed.Seconds())
	}
	if cfg.Check {
		files, _, err := listFiles(cfg.Input)
		if err != nil {
			return err
		}
		seq, err := countFiles(files)
		if err != nil {
			return err
		}
		if err := compare(table, seq); err != nil {
			return err
		}
		fmt.Fprintf(out, "check: matches the sequential count, all %d distinct words\n", distinct)
	}
	return nil
}

// listFiles is the regular files under path, in lexical order (as
// mapreduce.Lines reads them), and their total size.
func listFiles(path string) ([]string, int64, error) {
	var files []string
	var bytes int64
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, p)
		bytes += info.Size()
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("wordcount: %w", err)
	}
	return files, bytes, nil
}

// countFiles is the sequential reference for the whole input, written to
// be as fast as a word count with this word definition can be on one
// core: the files streamed one after the other through one read buffer,
// one tally for them all, one map lookup per word, and no allocation for
// a word already seen.
func countFiles(files []string) (map[string]int64, error) {
	t := newTally()
	add := func(w []byte) { t.add(w, 1) }
	r := bufio.NewReaderSize(nil, 256<<10) // one for every file
	for _, f := range files {
		file, err := os.Open(f)
		if err != nil {
			return nil, fmt.Errorf("wordcount: %w", err)
		}
		r.Reset(file)
		err = eachWord(r, add)
		file.Close()
		if err != nil {
			return nil, err
		}
	}
	counts := make(map[string]int64, t.len())
	t.addTo(counts)
	return counts, nil
}

// compare reports every difference between the job's table and the
// sequential count (the first ten in full) as ErrMismatch.
func compare(table, seq map[string]int64) error {
	var diffs []string
	for _, w := range slices.Sorted(func(yield func(string) bool) {
		for w := range table {
			if !yield(w) {
				return
			}
		}
		for w := range seq {
			if _, ok := table[w]; !ok && !yield(w) {
				return
			}
		}
	}) {
		n, inTable := table[w]
		m, inSeq := seq[w]
		switch {
		case !inSeq:
			diffs = append(diffs, fmt.Sprintf("%s: %d, sequential none", quoteWord(w), n))
		case !inTable:
			diffs = append(diffs, fmt.Sprintf("%s: missing, sequential %d", quoteWord(w), m))
		case n != m:
			diffs = append(diffs, fmt.Sprintf("%s: %d, sequential %d", quoteWord(w), n, m))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%w: %d differences, first %d: %s", ErrMismatch, len(diffs), min(len(diffs), 10),
			strings.Join(diffs[:min(len(diffs), 10)], "; "))
	}
	return nil
}

// quoteWord quotes a word for a message, cut short if it is long.
func quoteWord(w string) string {
	if len(w) <= 40 {
		return strconv.Quote(w)
	}
	return fmt.Sprintf("%q… (%d bytes)", w[:40], len(w))
}
