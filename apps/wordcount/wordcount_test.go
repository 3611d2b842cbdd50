package wordcount_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/apps/internal/jobflags"
	"github.com/rmactor/rmactor/apps/wordcount"
	"github.com/rmactor/rmactor/apps/wordcount/wordcounttest"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/rma"
)

// zipfCorpus writes files of random words (Zipf-like) with awkward edges: no
// final newline, an empty file, long lines, punctuation and case.
func zipfCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := []string{"the", "Actor", "rank", "mailbox", "ring", "claim", "é́té", "naïve", "x1", "MPI"}
	for i := range 300 {
		vocab = append(vocab, fmt.Sprintf("w%d", i))
	}
	zipf := rand.NewZipf(rng, 1.2, 1, uint64(len(vocab)-1))
	for f := range 4 {
		var b strings.Builder
		for line := range 400 + 300*f {
			n := 1 + rng.IntN(12)
			if line%97 == 0 {
				n = 3000 // a long line
			}
			for i := range n {
				if i > 0 {
					b.WriteString([]string{" ", ", ", "; ", "--", "\t"}[rng.IntN(5)])
				}
				b.WriteString(vocab[zipf.Uint64()])
			}
			if f != 2 || line < 699 {
				b.WriteString("\n")
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.txt", f)), []byte(b.String()), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.txt"), nil, 0o644))
	return dir
}

func run(t *testing.T, ranks int, cfg wordcount.Config) (string, error) {
	t.Helper()
	out, _, err := runTable(t, ranks, cfg)
	return out, err
}

// runTable runs the job on ranks in-process ranks and returns rank 0's
// report and the whole table, gathered to rank 0 after the run.
func runTable(t *testing.T, ranks int, cfg wordcount.Config) (string, map[string]int64, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ccfg := wordcount.Cluster()
	ccfg.Ranks = ranks
	var out bytes.Buffer
	var table map[string]int64
	err := cluster.Run(ctx, ccfg, func(ctx context.Context, c *cluster.Cluster) error {
		var o bytes.Buffer
		if err := wordcount.Run(ctx, c, cfg, &o); err != nil {
			return err
		}
		res, err := wordcount.Count(ctx, c, cfg.Input)
		if err != nil {
			return err
		}
		t, err := res.Gather(ctx)
		if c.Rank() == 0 {
			out, table = o, t
		}
		return err
	})
	return out.String(), table, err
}

// sequentialCount counts every regular file under dir with CountSequential,
// file by file.
func sequentialCount(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	all := make(map[string]int64)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		counts, err := wordcount.CountSequential(f)
		for w, n := range counts {
			all[w] += n
		}
		return err
	})
	require.NoError(t, err)
	return all
}

// requireSameCounts fails with the differences, the first few of them, if
// the tables differ in any word or count.
func requireSameCounts(t *testing.T, want, got map[string]int64, msg string) {
	t.Helper()
	var diffs []string
	for w, n := range want {
		if got[w] != n {
			diffs = append(diffs, fmt.Sprintf("%.40q: %d, want %d", w, got[w], n))
		}
	}
	for w, n := range got {
		if _, ok := want[w]; !ok {
			diffs = append(diffs, fmt.Sprintf("%.40q: %d, want none", w, n))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		t.Fatalf("%s: %d of %d words differ, e.g. %s", msg, len(diffs), len(want), strings.Join(diffs[:min(len(diffs), 10)], "; "))
	}
}

func TestWordcountMatchesSequential(t *testing.T) {
	dir := zipfCorpus(t)
	var first string
	for _, ranks := range []int{1, 2, 3, 4} {
		out, err := run(t, ranks, wordcount.Config{Input: dir, Top: 15, Check: true})
		require.NoError(t, err, "ranks=%d", ranks)
		require.Contains(t, out, "check: matches the sequential count")
		// Apart from the rank count, every run prints the same.
		body := out[strings.Index(out, "\n"):]
		if first == "" {
			first = body
		}
		require.Equal(t, first, body, "ranks=%d", ranks)
	}
	// One file as input, too: cut into a byte range per rank.
	out, err := run(t, 3, wordcount.Config{Input: filepath.Join(dir, "part-2.txt"), Top: 5, Check: true})
	require.NoError(t, err)
	require.Contains(t, out, "check: matches")
}

func TestWordcountBadInput(t *testing.T) {
	_, err := run(t, 2, wordcount.Config{Input: "/does/not/exist", Top: 5})
	require.ErrorIs(t, err, os.ErrNotExist)
	for _, cfg := range []wordcount.Config{
		{Top: 5},
		{Input: ".", Top: 0},
		{Input: ".", Top: 1 << 20},
	} {
		_, err = run(t, 1, cfg)
		require.ErrorIs(t, err, rma.ErrInvalidArgument, "%+v", cfg)
	}
}

func TestCountSequential(t *testing.T) {
	counts, err := wordcount.CountSequential(strings.NewReader("The the, THE; cat--cat\nnaïve x1"))
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"the": 3, "cat": 2, "naïve": 1, "x1": 1}, counts)
	// Binary: NUL, invalid UTF-8, a truncated rune at the end, CRLF.
	counts, err = wordcount.CountSequential(strings.NewReader("a\x00B\xffc\xe6\x97d\r\nÉté\r\nÉTÉ\xc3"))
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"a": 1, "b": 1, "c": 1, "d": 1, "été": 2}, counts)
	counts, err = wordcount.CountSequential(strings.NewReader(""))
	require.NoError(t, err)
	require.Empty(t, counts)
}

// The sequential reference (used by --check and --time) has no line or
// word length limit: a line of 3 MiB of words, a token of 2 MiB, and a
// last line without a newline.
func TestCountSequentialLongLines(t *testing.T) {
	const pairs = 3 << 20 / int64(len("alpha Beta, "))
	token := strings.Repeat("Zz9", 2<<20/3)
	in := strings.Repeat("alpha Beta, ", int(pairs)) + "\n" + token + "\r\n" + "gamma " + token
	require.Greater(t, len(in), 1<<20)
	counts, err := wordcount.CountSequential(strings.NewReader(in))
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"alpha": pairs, "beta": pairs, strings.ToLower(token): 2, "gamma": 1}, counts)
}

// The awkward corpus (package wordcounttest: a 5 MB line, a 50 KB token, binary
// files, empty files, 1200 small files in nested directories, CRLF, no
// final newline) gives the same whole table on 1, 2 and 4 ranks as the
// sequential count, and --check agrees. Batches here are far larger than
// a mailbox slot: with more than one rank this needs the transport to
// carry messages of any size.
func TestWordcountAwkwardCorpus(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, wordcounttest.WriteCorpus(dir, 1))
	want := sequentialCount(t, dir)
	// The corpus is what it claims: the long token (twice, in two cases)
	// and the two joined by a letter.
	lengths := map[int]int64{}
	for w, n := range want {
		if len(w) >= wordcounttest.TokenBytes {
			lengths[len(w)] += n
		}
	}
	require.Equal(t, map[int]int64{wordcounttest.TokenBytes: 2, 2*wordcounttest.TokenBytes + len("ÿ"): 1}, lengths)
	var first string
	for _, ranks := range []int{1, 2, 4} {
		cfg := wordcount.DefaultConfig()
		cfg.Input, cfg.Check = dir, true
		out, table, err := runTable(t, ranks, cfg)
		require.NoError(t, err, "ranks=%d", ranks)
		require.Contains(t, out, "check: matches the sequential count")
		requireSameCounts(t, want, table, fmt.Sprintf("%d ranks", ranks))
		body := out[strings.Index(out, "\n"):]
		if first == "" {
			first = body
		}
		require.Equal(t, first, body, "ranks=%d", ranks)
	}
}

// A budget of 1 MiB, far below the awkward corpus's distinct words, spills
// and still matches the sequential count; --stats reports the spills, and
// the spill files are gone after the run.
func TestWordcountUnderASmallBudget(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, wordcounttest.WriteCorpus(dir, 1))
	tmp := t.TempDir()
	cfg := wordcount.DefaultConfig()
	cfg.Input, cfg.Check = dir, true
	cfg.Job = jobflags.Flags{MemoryMiB: 1, TempDir: tmp, Stats: true, Every: time.Nanosecond}
	out, err := run(t, 2, cfg)
	require.NoError(t, err)
	require.Contains(t, out, "check: matches the sequential count")
	all := regexp.MustCompile(`stats: wordcount all ranks: .* spilled (\d+) runs`).FindStringSubmatch(out)
	require.NotNil(t, all, out)
	require.NotEqual(t, "0", all[1], "nothing spilled")
	require.Contains(t, out, "progress: wordcount rank 0: mapped")
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, left)
}
