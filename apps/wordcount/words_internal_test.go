package wordcount

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
)

// oldWords is the definition of a word the app has always had, on a whole
// input held as a string: maximal runs of letters and digits, lower-cased.
func oldWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out = append(out, strings.ToLower(w))
	}
	return out
}

// awkwardBytes is random input rich in edge cases: ASCII words, multi-byte
// letters, separators, line breaks, NUL, invalid and truncated UTF-8.
func awkwardBytes(rng *rand.Rand, n int) []byte {
	pieces := []string{"a", "Z", "9", " ", "\n", "\r\n", "\x00", "é", "É", "日", "ǅ", "٣", "\u0301", "\u00a0",
		"\xc3", "\xe6\x97", "\xf0\x9f\x98", "\xff", "\x80", "😀", "Σ", "ß", "\ufffd"}
	var b []byte
	for len(b) < n {
		if rng.IntN(4) == 0 {
			b = append(b, byte(rng.Uint32()))
		} else {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
	}
	return b
}

func splitAll(chunks [][]byte) []string {
	var out []string
	s := newSplitter(func(w []byte) { out = append(out, string(w)) })
	for _, c := range chunks {
		_, _ = s.Write(c)
	}
	_ = s.Close()
	return out
}

// The splitter finds the same words as the old definition, however its
// input is cut into chunks (inside runes too).
func TestSplitterAnyChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		in := awkwardBytes(rng, 1+rng.IntN(400))
		want := oldWords(string(in))
		require.Equal(t, want, splitAll([][]byte{in}), "trial %d whole: %q", trial, in)
		var chunks [][]byte
		for rest := in; len(rest) > 0; {
			k := min(len(rest), rng.IntN(6))
			chunks = append(chunks, rest[:k])
			rest = rest[k:]
		}
		require.Equal(t, want, splitAll(chunks), "trial %d in chunks: %q", trial, in)
		single := make([][]byte, len(in))
		for i := range in {
			single[i] = in[i : i+1]
		}
		require.Equal(t, want, splitAll(single), "trial %d byte by byte: %q", trial, in)
	}
	require.Equal(t, []string{"wörd"}, splitAll([][]byte{[]byte("WÖRD\xc3")}))
	require.Nil(t, splitAll(nil))
}

// Every line of a file is read by exactly one part, whatever the cuts:
// the parts' words, together, are the file's words, for lines far longer
// than the reader's buffer, CRLF, no final newline, and cuts just before,
// at and after line breaks.
func TestReadPartsCoverTheFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	contents := map[string][]byte{
		"empty-lines": []byte("\n\n\na\n\nb\n"),
		"crlf":        []byte("one two\r\nthree\r\n\r\nfour"),
		"long-line":   bytes.Repeat([]byte("word "), 2000),
		"long-token":  append(append([]byte("x\n"), bytes.Repeat([]byte("é"), 3000)...), "\ny\n"...),
		"awkward":     awkwardBytes(rng, 20000),
		"one-byte":    []byte("q"),
		"newline":     []byte("\n"),
	}
	for name, content := range contents {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, content, 0o644))
		want := oldWords(string(content))
		size := int64(len(content))
		cutSets := [][]int64{{}}
		for n := 1; n <= 7; n++ {
			var cuts []int64
			for k := 1; k < n; k++ {
				cuts = append(cuts, size*int64(k)/int64(n))
			}
			cutSets = append(cutSets, cuts)
		}
		for i := range content { // every single cut
			cutSets = append(cutSets, []int64{int64(i)})
			if len(cutSets) > 100 {
				break
			}
		}
		for _, cuts := range cutSets {
			var got []string
			r := bufio.NewReaderSize(nil, 16) // the smallest buffer: lines span many fills
			lo := int64(0)
			for _, hi := range append(cuts, size) {
				if hi <= lo {
					continue
				}
				require.NoError(t, readPart(part{path: path, start: lo, end: hi}, r, func(w []byte) { got = append(got, string(w)) }))
				lo = hi
			}
			require.Equal(t, want, got, "%s cut at %v", name, cuts)
		}
	}
}

func TestShareSplitsAllBytes(t *testing.T) {
	files := []string{"a", "b", "c", "d"}
	sizes := []int64{0, 10, 1, 7}
	for n := 1; n <= 6; n++ {
		covered := map[string]int64{}
		for k := range n {
			for _, p := range share(files, sizes, k, n) {
				require.Less(t, p.start, p.end, fmt.Sprint(p))
				covered[p.path] += p.end - p.start
			}
		}
		require.Equal(t, map[string]int64{"b": 10, "c": 1, "d": 7}, covered, "n=%d", n)
	}
}

// Table pages cover a reducer's table in order, each page at least one
// entry and, past the first, no more than its bytes.
func TestTablePages(t *testing.T) {
	counts := map[string]int64{}
	var sorted []string
	for i := range 500 {
		w := strings.Repeat("w", 1+i%40) + fmt.Sprint(i)
		counts[w] = int64(i)
		sorted = append(sorted, w)
	}
	counts["long"+strings.Repeat("x", 5000)] = 7
	sorted = append(sorted, "long"+strings.Repeat("x", 5000))
	sort.Strings(sorted)
	for _, maxBytes := range []int{1, 100, 1000, 1 << 20} {
		got := map[string]int64{}
		from, pages := 0, 0
		for {
			p := tablePage(counts, sorted, from, maxBytes)
			pages++
			require.NotEmpty(t, p.Words)
			size := 0
			for i, w := range p.Words {
				size += entryBytes(len(w))
				got[w] = p.Ns[i]
			}
			if len(p.Words) > 1 {
				require.LessOrEqual(t, size, maxBytes)
			}
			if p.Next == 0 {
				break
			}
			require.Greater(t, p.Next, from)
			from = p.Next
		}
		require.Equal(t, counts, got, "maxBytes %d", maxBytes)
		if maxBytes == 1 {
			require.Equal(t, len(counts), pages)
		}
	}
	require.Empty(t, tablePage(counts, sorted, len(sorted), 100).Words)
}

func TestEntryBytes(t *testing.T) {
	// A CBOR text head is 1 byte up to 23, 2 up to 255, 3 up to 65535.
	require.Equal(t, 1+23+9, entryBytes(23))
	require.Equal(t, 2+24+9, entryBytes(24))
	require.Equal(t, 3+256+9, entryBytes(256))
	require.Equal(t, 5+70000+9, entryBytes(70000))
}

// A batch encodes to no more than its entries' estimate and a few bytes of
// frame: what the mapper counts is what it sends.
func TestBatchEncodingWithinEstimate(t *testing.T) {
	cod, err := codec.New(Cluster().Types...)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 23, 24, 300, 5000} {
		b := &Batch{}
		estimate := 0
		for i := range n {
			w := strings.Repeat("é", rng.IntN(30)) + fmt.Sprint(i)
			if i == 7 {
				w = strings.Repeat("x", 70000)
			}
			b.Words = append(b.Words, w)
			b.Ns = append(b.Ns, rng.Int64())
			estimate += entryBytes(len(w))
		}
		_, out, err := cod.AppendEncode(nil, b)
		require.NoError(t, err)
		require.LessOrEqual(t, len(out), estimate+batchFrameBytes, "%d words", n)
	}
}

// --check finds counts that are off and a word counted by the wrong
// reducer in the whole table, where the totals and the top words (those
// gathered before the tables were tampered with) agree.
func TestCheckFindsDifferences(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(path, []byte("a a a b b c\nd e f g\n"), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := Config{Input: path, Top: 2, Buckets: 3, BatchBytes: 100}
	ccfg := Cluster()
	ccfg.Ranks = 1
	var untouched, tampered error
	err := cluster.Run(ctx, ccfg, func(ctx context.Context, c *cluster.Cluster) error {
		if err := Run(ctx, c, cfg, io.Discard); err != nil {
			return err
		}
		top, total, distinct, err := gatherTop(ctx, c, cfg)
		if err != nil {
			return err
		}
		untouched = check(ctx, c, cfg, []string{path}, top, total, distinct, io.Discard)
		send := func(bucket int, w string, n int64) error {
			pid, err := c.Get(reduceKind, fmt.Sprint(bucket))
			if err != nil {
				return err
			}
			return c.System().Send(ctx, pid, &Batch{Words: []string{w}, Ns: []int64{n}})
		}
		for _, b := range []struct {
			bucket int
			w      string
			n      int64
		}{
			{bucketOf([]byte("c"), 3), "c", 1},
			{bucketOf([]byte("d"), 3), "d", -1},
			{(bucketOf([]byte("zz"), 3) + 1) % 3, "zz", 1},
		} {
			if err := send(b.bucket, b.w, b.n); err != nil {
				return err
			}
		}
		if err := c.Quiesce(ctx); err != nil {
			return err
		}
		tampered = check(ctx, c, cfg, []string{path}, top, total, distinct, io.Discard)
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, untouched)
	require.ErrorIs(t, tampered, ErrMismatch)
	require.Contains(t, tampered.Error(), "4 differences")
	require.Contains(t, tampered.Error(), `"c": 2, sequential 1`)
	require.Contains(t, tampered.Error(), `"d": 0, sequential 1`)
	require.Contains(t, tampered.Error(), `"zz" counted by reducer`)
	require.Contains(t, tampered.Error(), `"zz": 1, sequential none`)
}
