package wordcount_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/apps/wordcount"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/rma"
)

// corpus writes files of random words (Zipf-like) with awkward edges: no
// final newline, an empty file, long lines, punctuation and case.
func corpus(t *testing.T) string {
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ccfg := wordcount.Cluster()
	ccfg.Ranks = ranks
	var out bytes.Buffer
	err := cluster.Run(ctx, ccfg, func(ctx context.Context, c *cluster.Cluster) error {
		var o bytes.Buffer
		err := wordcount.Run(ctx, c, cfg, &o)
		if c.Rank() == 0 {
			out = o
		}
		return err
	})
	return out.String(), err
}

func TestWordcountMatchesSequential(t *testing.T) {
	dir := corpus(t)
	var first string
	for _, ranks := range []int{1, 2, 3, 4} {
		for _, buckets := range []int{1, 7} {
			out, err := run(t, ranks, wordcount.Config{Input: dir, Top: 15, Buckets: buckets, Check: true})
			require.NoError(t, err, "ranks=%d buckets=%d", ranks, buckets)
			require.Contains(t, out, "check: matches the sequential count")
			// Apart from the rank count, every run prints the same.
			body := out[strings.Index(out, "\n"):]
			if first == "" {
				first = body
			}
			require.Equal(t, first, body, "ranks=%d buckets=%d", ranks, buckets)
		}
	}
	// One file as input, too.
	out, err := run(t, 3, wordcount.Config{Input: filepath.Join(dir, "part-2.txt"), Top: 5, Buckets: 4, Check: true})
	require.NoError(t, err)
	require.Contains(t, out, "check: matches")
}

func TestWordcountBadInput(t *testing.T) {
	_, err := run(t, 2, wordcount.Config{Input: "/does/not/exist", Top: 5, Buckets: 2})
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = run(t, 1, wordcount.Config{Top: 5, Buckets: 2})
	require.ErrorIs(t, err, rma.ErrInvalidArgument)
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
