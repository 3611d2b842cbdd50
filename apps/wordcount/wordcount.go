// Package wordcount is map-reduce over a text file or a directory of them.
// Every rank maps its share of the corpus (an equal byte range, cut at line
// boundaries, streamed in chunks: no line or word length limit; see
// CountSequential for what a word is), combines counts locally, and sends
// them in batches to reducer actors: named actors (kind "wc.reduce"),
// buckets of the word space placed on ranks by hash and activated by their
// first batch. Once the job is quiescent, rank 0 asks every reducer for its
// top words and prints the overall top N. cmd/actorrun runs it:
//
//	actorrun wordcount --ranks 4 --top 10 <file or dir>
package wordcount

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

// Batch carries word counts from a mapper to a reducer.
type Batch struct {
	Words []string
	Ns    []int64
}

// TopRequest asks a reducer for its N most frequent words.
type TopRequest struct{ N int }

// Top is a reducer's answer: its most frequent words, and its totals.
type Top struct {
	Words           []string
	Ns              []int64
	Total, Distinct int64
}

// Config is the app's parameters.
type Config struct {
	Input   string // file or directory
	Top     int    // words to print
	Buckets int    // reducers
	Check   bool   // compare with a sequential count on rank 0
	Time    bool   // report the time, next to a sequential count timed on rank 0
}

// DefaultConfig prints the top 10 words with 64 reducers.
func DefaultConfig() Config { return Config{Top: 10, Buckets: 64} }

// Flags registers the app's flags on fs; the input is the first argument.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Top, "top", cfg.Top, "words to print")
	fs.IntVar(&cfg.Buckets, "buckets", cfg.Buckets, "reducer actors (buckets of the word space)")
	fs.BoolVar(&cfg.Check, "check", cfg.Check, "check the counts against a sequential word count on rank 0")
	fs.BoolVar(&cfg.Time, "time", cfg.Time, "report the run time next to a plain sequential word count timed on rank 0")
}

const (
	reduceKind = "wc.reduce"
	// batchBytes bounds a batch so that it fits one mailbox slot.
	batchBytes = 12 << 10
	slotBytes  = 16 << 10
)

// Cluster is the job configuration the app needs.
func Cluster() cluster.Config {
	reducer := actor.PropsFromProducer(func() actor.Actor {
		counts := make(map[string]int64)
		var total int64
		return actor.ReceiveFunc(func(c actor.Context) {
			switch m := c.Message().(type) {
			case *Batch:
				for i, w := range m.Words {
					counts[w] += m.Ns[i]
					total += m.Ns[i]
				}
			case *TopRequest:
				t := topOf(counts, m.N)
				t.Total, t.Distinct = total, int64(len(counts))
				c.Respond(t)
			}
		})
	})
	return cluster.Config{
		Kinds: []cluster.Kind{cluster.NewKind(reduceKind, reducer)},
		Types: []codec.Option{
			codec.Type[*Batch]("wc.batch"), codec.Type[*TopRequest]("wc.top?"), codec.Type[*Top]("wc.top"),
		},
		System: []actor.Option{actor.WithMailboxOptions(mailbox.WithSlotBytes(slotBytes), mailbox.WithCapacity(8))},
	}
}

// topOf is the n most frequent words, ties broken alphabetically.
func topOf(counts map[string]int64, n int) *Top {
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(a, b int) bool {
		if counts[words[a]] != counts[words[b]] {
			return counts[words[a]] > counts[words[b]]
		}
		return words[a] < words[b]
	})
	words = words[:min(n, len(words))]
	t := &Top{Words: words, Ns: make([]int64, len(words))}
	for i, w := range words {
		t.Ns[i] = counts[w]
	}
	return t
}

func bucketOf(word string, buckets int) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(word))
	return strconv.Itoa(int(h.Sum32() % uint32(buckets)))
}

// ErrMismatch reports counts that differ from the sequential reference.
var ErrMismatch = errors.New("wordcount: counts differ from the sequential count")

// Run is the SPMD program; rank 0 writes the report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Input == "" || cfg.Top < 1 || cfg.Buckets < 1 {
		return fmt.Errorf("%w: wordcount needs an input and positive --top and --buckets", rma.ErrInvalidArgument)
	}
	files, sizes, err := listFiles(cfg.Input)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := mapShare(ctx, c, cfg, share(files, sizes, c.Rank(), c.Size())); err != nil {
		return err
	}
	if err := c.Quiesce(ctx); err != nil {
		return err
	}
	if c.Rank() != 0 {
		return nil
	}
	top, total, distinct, err := gatherTop(ctx, c, cfg)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "%d words, %d distinct, %d ranks\n", total, distinct, c.Size())
	for i, w := range top.Words {
		fmt.Fprintf(out, "%8d %s\n", top.Ns[i], w)
	}
	if cfg.Time {
		var bytes int64
		for _, s := range sizes {
			bytes += s
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
		return check(cfg, files, top, total, distinct, out)
	}
	return nil
}

// countFiles is the sequential word count of all files, as CountSequential.
func countFiles(files []string) (map[string]int64, error) {
	t := newTally()
	r := bufio.NewReaderSize(nil, 64<<10)
	for _, f := range files {
		file, err := os.Open(f)
		if err != nil {
			return nil, fmt.Errorf("wordcount: %w", err)
		}
		r.Reset(file)
		err = eachWord(r, func(w []byte) { t.add(w, 1) })
		file.Close()
		if err != nil {
			return nil, err
		}
	}
	all := make(map[string]int64, t.len())
	t.addTo(all)
	return all, nil
}

// mapShare counts this rank's words, flushing a bucket's batch whenever it
// grows to batchBytes, so memory stays bounded however large the corpus.
func mapShare(ctx context.Context, c *cluster.Cluster, cfg Config, parts []part) error {
	type pending struct {
		counts map[string]int64
		bytes  int
	}
	buckets := make(map[string]*pending)
	flush := func(b string, p *pending) error {
		batch := &Batch{Words: make([]string, 0, len(p.counts)), Ns: make([]int64, 0, len(p.counts))}
		for w, n := range p.counts {
			batch.Words = append(batch.Words, w)
			batch.Ns = append(batch.Ns, n)
		}
		clear(p.counts)
		p.bytes = 0
		pid, err := c.Get(reduceKind, b)
		if err != nil {
			return err
		}
		return c.System().Send(ctx, pid, batch)
	}
	var sendErr error
	r := bufio.NewReaderSize(nil, 64<<10)
	for _, p := range parts {
		err := readPart(p, r, func(word []byte) {
			if sendErr != nil {
				return
			}
			w := string(word)
			b := bucketOf(w, cfg.Buckets)
			pb := buckets[b]
			if pb == nil {
				pb = &pending{counts: make(map[string]int64)}
				buckets[b] = pb
			}
			if pb.counts[w] == 0 {
				pb.bytes += len(w) + 12
			}
			pb.counts[w]++
			if pb.bytes >= batchBytes {
				sendErr = flush(b, pb)
			}
		})
		if err != nil {
			return err
		}
		if sendErr != nil {
			return sendErr
		}
	}
	for b, p := range buckets {
		if len(p.counts) > 0 {
			if err := flush(b, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func gatherTop(ctx context.Context, c *cluster.Cluster, cfg Config) (*Top, int64, int64, error) {
	merged := make(map[string]int64)
	var total, distinct int64
	for b := range cfg.Buckets {
		pid, err := c.Get(reduceKind, strconv.Itoa(b))
		if err != nil {
			return nil, 0, 0, err
		}
		v, err := c.System().Request(ctx, pid, &TopRequest{N: cfg.Top})
		if err != nil {
			return nil, 0, 0, err
		}
		t, ok := v.(*Top)
		if !ok {
			return nil, 0, 0, fmt.Errorf("%w: reducer answered %T", rma.ErrCorrupt, v)
		}
		for i, w := range t.Words {
			merged[w] = t.Ns[i]
		}
		total += t.Total
		distinct += t.Distinct
	}
	return topOf(merged, cfg.Top), total, distinct, nil
}

// check recounts the corpus sequentially on this rank and compares.
func check(cfg Config, files []string, top *Top, total, distinct int64, out io.Writer) error {
	all, err := countFiles(files)
	if err != nil {
		return err
	}
	var wantTotal int64
	for _, n := range all {
		wantTotal += n
	}
	want := topOf(all, cfg.Top)
	if wantTotal != total || int64(len(all)) != distinct || fmt.Sprint(want.Words, want.Ns) != fmt.Sprint(top.Words, top.Ns) {
		return fmt.Errorf("%w: %d words, %d distinct, top %v %v; sequential %d, %d, %v %v",
			ErrMismatch, total, distinct, top.Words, top.Ns, wantTotal, len(all), want.Words, want.Ns)
	}
	fmt.Fprintf(out, "check: matches the sequential count\n")
	return nil
}
