// Package wordcount is map-reduce over a file or a directory of them, text
// or not (see CountSequential for what a word is). Every rank maps its
// share of the corpus (an equal byte range, cut at line boundaries,
// streamed in chunks: no line or word length limit), combines counts
// locally, and sends them in batches of about Config.BatchBytes encoded
// bytes to reducer actors: named actors (kind "wc.reduce"), buckets of the
// word space placed on ranks by hash and activated by their first batch.
// Once the job is quiescent, rank 0 asks every reducer for its top words
// and prints the overall top N; --check compares every reducer's whole
// table with a sequential count. cmd/actorrun runs it:
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
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
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

// TableRequest asks a reducer for a page of its whole table, in word
// order: the entries from the From-th on, about MaxBytes of them.
type TableRequest struct{ From, MaxBytes int }

// TablePage is a page of a reducer's table; Next is where the next page
// starts, 0 after the last one.
type TablePage struct {
	Words []string
	Ns    []int64
	Next  int
}

// Config is the app's parameters.
type Config struct {
	Input   string // file or directory
	Top     int    // words to print
	Buckets int    // reducers
	// BatchBytes is the size a mapper's batch for one reducer grows to
	// before it is sent: about that many encoded bytes, more only by the
	// word that crossed the mark, so a word of any length goes in one
	// batch (messages of any size cross ranks). It bounds a mapper's
	// memory to about Buckets×BatchBytes; it has nothing to do with the
	// mailbox's slot size.
	BatchBytes int
	Check      bool // compare every count with a sequential count on rank 0
	Time       bool // report the time, next to a sequential count timed on rank 0
}

// DefaultBatchBytes is the default Config.BatchBytes: 64 KiB.
const DefaultBatchBytes = 64 << 10

// DefaultConfig prints the top 10 words with 64 reducers, batches of 64 KiB.
func DefaultConfig() Config { return Config{Top: 10, Buckets: 64, BatchBytes: DefaultBatchBytes} }

// Flags registers the app's flags on fs; the input is the first argument.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Top, "top", cfg.Top, "words to print")
	fs.IntVar(&cfg.Buckets, "buckets", cfg.Buckets, "reducer actors (buckets of the word space)")
	fs.IntVar(&cfg.BatchBytes, "batch-bytes", cfg.BatchBytes,
		"encoded bytes a mapper gathers for one reducer before sending them (a longer word goes whole)")
	fs.BoolVar(&cfg.Check, "check", cfg.Check, "check every count against a sequential word count on rank 0")
	fs.BoolVar(&cfg.Time, "time", cfg.Time, "report the run time next to a plain sequential word count timed on rank 0")
}

const (
	reduceKind = "wc.reduce"
	// maxBatchWords caps the entries of a batch, a page of a table and
	// --top, so that each is one modest message (the codec itself takes
	// far longer lists, up to the maximum message size); a larger --top
	// is refused with rma.ErrInvalidArgument.
	maxBatchWords = 1 << 15
)

// batchFrameBytes bounds the rest of a batch's encoding: the struct's
// field names and the heads of its two arrays.
const batchFrameBytes = 32

// entryBytes bounds the encoding of one word of n bytes and its count in a
// batch: the CBOR head of the string, its bytes, and a count of at most 9.
func entryBytes(n int) int {
	head := 1
	switch {
	case n >= 1<<32:
		head = 9
	case n >= 1<<16:
		head = 5
	case n >= 1<<8:
		head = 3
	case n >= 24:
		head = 2
	}
	return head + n + 9
}

// Cluster is the job configuration the app needs.
func Cluster() cluster.Config {
	reducer := actor.PropsFromProducer(func() actor.Actor {
		counts := make(map[string]int64)
		var total int64
		var sorted []string // the words in order, for table pages; nil after a batch
		return actor.ReceiveFunc(func(c actor.Context) {
			switch m := c.Message().(type) {
			case *Batch:
				for i, w := range m.Words {
					counts[w] += m.Ns[i]
					total += m.Ns[i]
				}
				sorted = nil
			case *TopRequest:
				t := topOf(counts, m.N)
				t.Total, t.Distinct = total, int64(len(counts))
				c.Respond(t)
			case *TableRequest:
				if sorted == nil {
					sorted = make([]string, 0, len(counts))
					for w := range counts {
						sorted = append(sorted, w)
					}
					sort.Strings(sorted)
				}
				c.Respond(tablePage(counts, sorted, m.From, m.MaxBytes))
			}
		})
	})
	// The mailboxes keep the transport's defaults: batches are sized by
	// Config.BatchBytes, not by the slots.
	return cluster.Config{
		Kinds: []cluster.Kind{cluster.NewKind(reduceKind, reducer)},
		Types: []codec.Option{
			codec.Type[*Batch]("wc.batch"), codec.Type[*TopRequest]("wc.top?"), codec.Type[*Top]("wc.top"),
			codec.Type[*TableRequest]("wc.table?"), codec.Type[*TablePage]("wc.table"),
		},
	}
}

// tablePage is the page of the table that starts at the from-th word of
// sorted: its first entry whatever its size, then as many as fit in
// maxBytes (estimated as in a batch), at most maxBatchWords.
func tablePage(counts map[string]int64, sorted []string, from, maxBytes int) *TablePage {
	t := &TablePage{}
	from = max(from, 0)
	size := 0
	for i := from; i < len(sorted); i++ {
		if i > from && (size+entryBytes(len(sorted[i])) > maxBytes || len(t.Words) == maxBatchWords) {
			t.Next = i
			break
		}
		size += entryBytes(len(sorted[i]))
		t.Words = append(t.Words, sorted[i])
		t.Ns = append(t.Ns, counts[sorted[i]])
	}
	return t
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

// bucketOf is the reducer of a word: FNV-1a of its bytes, modulo buckets.
func bucketOf(word []byte, buckets int) int {
	h := uint32(2166136261)
	for _, c := range word {
		h ^= uint32(c)
		h *= 16777619
	}
	return int(h % uint32(buckets))
}

// ErrMismatch reports counts that differ from the sequential reference.
var ErrMismatch = errors.New("wordcount: counts differ from the sequential count")

// Run is the SPMD program; rank 0 writes the report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Input == "" || cfg.Top < 1 || cfg.Top > maxBatchWords || cfg.Buckets < 1 || cfg.BatchBytes < 1 {
		return fmt.Errorf("%w: wordcount needs an input, --top from 1 to %d, and positive --buckets and --batch-bytes",
			rma.ErrInvalidArgument, maxBatchWords)
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
		return check(ctx, c, cfg, files, top, total, distinct, out)
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

// mapShare counts this rank's words, sending a bucket's batch whenever its
// encoding may reach cfg.BatchBytes, so memory stays bounded however large
// the corpus.
func mapShare(ctx context.Context, c *cluster.Cluster, cfg Config, parts []part) error {
	type pending struct {
		counts *tally
		bytes  int
	}
	buckets := make([]*pending, cfg.Buckets)
	flush := func(b int, p *pending) error {
		// The batch takes the tally's slices: a reducer on this rank gets
		// the batch itself, not a copy.
		batch := &Batch{Words: p.counts.words, Ns: p.counts.ns}
		clear(p.counts.index)
		p.counts.words, p.counts.ns = nil, nil
		p.bytes = 0
		pid, err := c.Get(reduceKind, strconv.Itoa(b))
		if err != nil {
			return err
		}
		return c.System().Send(ctx, pid, batch)
	}
	var sendErr error
	r := bufio.NewReaderSize(nil, 64<<10)
	for _, p := range parts {
		err := readPart(p, r, func(w []byte) {
			if sendErr != nil {
				return
			}
			b := bucketOf(w, cfg.Buckets)
			pb := buckets[b]
			if pb == nil {
				pb = &pending{counts: newTally()}
				buckets[b] = pb
			}
			n := pb.counts.len()
			pb.counts.add(w, 1)
			if pb.counts.len() > n {
				pb.bytes += entryBytes(len(w))
			}
			if pb.bytes >= cfg.BatchBytes || pb.counts.len() >= maxBatchWords {
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
		if p != nil && p.counts.len() > 0 {
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

// eachEntry calls fn with every entry of every reducer's table, bucket by
// bucket, in word order, fetching pages of about cfg.BatchBytes.
func eachEntry(ctx context.Context, c *cluster.Cluster, cfg Config, fn func(bucket int, word string, n int64)) error {
	for b := range cfg.Buckets {
		pid, err := c.Get(reduceKind, strconv.Itoa(b))
		if err != nil {
			return err
		}
		for from := 0; ; {
			v, err := c.System().Request(ctx, pid, &TableRequest{From: from, MaxBytes: cfg.BatchBytes})
			if err != nil {
				return err
			}
			t, ok := v.(*TablePage)
			if !ok || len(t.Words) != len(t.Ns) || (t.Next != 0 && t.Next <= from) {
				return fmt.Errorf("%w: reducer %d answered %T for a table page from %d", rma.ErrCorrupt, b, v, from)
			}
			for i, w := range t.Words {
				fn(b, w, t.Ns[i])
			}
			if t.Next == 0 {
				break
			}
			from = t.Next
		}
	}
	return nil
}

// Table gathers the whole count, every reducer's table, to the calling
// rank. Call it once the job is quiescent: after Run, on any rank.
func Table(ctx context.Context, c *cluster.Cluster, cfg Config) (map[string]int64, error) {
	all := make(map[string]int64)
	err := eachEntry(ctx, c, cfg, func(_ int, w string, n int64) { all[w] += n })
	return all, err
}

// check recounts the corpus sequentially on this rank and compares it with
// the job's: totals, top words, and every reducer's whole table, entry by
// entry, streamed from the reducers a page at a time.
func check(ctx context.Context, c *cluster.Cluster, cfg Config, files []string, top *Top, total, distinct int64, out io.Writer) error {
	seq, err := countFiles(files)
	if err != nil {
		return err
	}
	var wantTotal int64
	for _, n := range seq {
		wantTotal += n
	}
	want := topOf(seq, cfg.Top)
	var diffs []string
	ndiff := 0
	note := func(format string, args ...any) {
		ndiff++
		if len(diffs) < 10 {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	if wantTotal != total || int64(len(seq)) != distinct {
		note("%d words, %d distinct; sequential %d, %d", total, distinct, wantTotal, len(seq))
	}
	if fmt.Sprint(want.Words, want.Ns) != fmt.Sprint(top.Words, top.Ns) {
		note("top %v %v; sequential %v %v", top.Words, top.Ns, want.Words, want.Ns)
	}
	err = eachEntry(ctx, c, cfg, func(b int, w string, n int64) {
		if k := bucketOf([]byte(w), cfg.Buckets); k != b {
			note("%s counted by reducer %d, not %d", quoteWord(w), b, k)
		}
		m, ok := seq[w]
		switch {
		case !ok:
			note("%s: %d, sequential none (or counted twice)", quoteWord(w), n)
		case m != n:
			note("%s: %d, sequential %d", quoteWord(w), n, m)
		}
		delete(seq, w)
	})
	if err != nil {
		return err
	}
	missing := make([]string, 0, len(seq))
	for w := range seq {
		missing = append(missing, w)
	}
	sort.Strings(missing)
	for _, w := range missing {
		note("%s: missing, sequential %d", quoteWord(w), seq[w])
	}
	if ndiff > 0 {
		return fmt.Errorf("%w: %d differences, first %d: %s", ErrMismatch, ndiff, len(diffs), strings.Join(diffs, "; "))
	}
	fmt.Fprintf(out, "check: matches the sequential count, all %d distinct words\n", distinct)
	return nil
}

// quoteWord quotes a word for a message, cut short if it is long.
func quoteWord(w string) string {
	if len(w) <= 40 {
		return strconv.Quote(w)
	}
	return fmt.Sprintf("%q… (%d bytes)", w[:40], len(w))
}
