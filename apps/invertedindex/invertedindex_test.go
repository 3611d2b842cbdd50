package invertedindex_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/apps/invertedindex"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mapreduce"
)

func TestIndexMatchesSequential(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.txt":      "The cat sat\non the mat\n",
		"b.txt":      "A cat, a HAT; the end",
		"sub/c.txt":  strings.Repeat("mat ", 50000) + "\nnaïve x1\r\n",
		"sub/empty":  "",
		"sub/binary": "\x00\xffcat\x00",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	var first string
	for _, ranks := range []int{1, 2, 3} {
		out := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var report bytes.Buffer
		err := cluster.Run(ctx, cluster.Config{Ranks: ranks}, func(ctx context.Context, c *cluster.Cluster) error {
			var o bytes.Buffer
			err := invertedindex.Run(ctx, c, invertedindex.Config{Input: dir, Out: out, Top: 2, Check: true}, &o)
			if c.Rank() == 0 {
				report = o
			}
			return err
		})
		cancel()
		require.NoError(t, err, "ranks=%d", ranks)
		require.Contains(t, report.String(), "check: matches the sequential index")
		body := report.String()[strings.Index(report.String(), "\n"):]
		if first == "" {
			first = body
		}
		require.Equal(t, first, body, "ranks=%d", ranks)
		// The part files hold every word once, with its sorted files.
		var lines []string
		for k := range ranks {
			b, err := os.ReadFile(filepath.Join(out, "part-0000"+string(rune('0'+k))))
			require.NoError(t, err)
			lines = append(lines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
		}
		require.Contains(t, lines, "cat\t["+filepath.Join(dir, "a.txt")+" "+filepath.Join(dir, "b.txt")+" "+filepath.Join(dir, "sub/binary")+"]")
		require.Contains(t, lines, "naïve\t["+filepath.Join(dir, "sub/c.txt")+"]")
	}
}

func TestBadConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 1}, func(ctx context.Context, c *cluster.Cluster) error {
		return invertedindex.Run(ctx, c, invertedindex.Config{Input: "/no/such/dir", Top: 1}, io.Discard)
	})
	require.ErrorIs(t, err, os.ErrNotExist)
}

// Under a budget of 2 KiB the index spills and comes out the same.
func TestIndexUnderASmallBudget(t *testing.T) {
	dir := t.TempDir()
	for i := range 40 {
		text := strings.Repeat(fmt.Sprintf("w%d shared x%d\n", i%7, i), 50)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), []byte(text), 0o644))
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 3}, func(ctx context.Context, c *cluster.Cluster) error {
		big, err := invertedindex.Index(ctx, c, dir)
		if err != nil {
			return err
		}
		small, err := invertedindex.Index(ctx, c, dir, mapreduce.WithMemory(2<<10), mapreduce.WithTempDir(tmp))
		if err != nil {
			return err
		}
		defer small.Close()
		want, err := big.Gather(ctx)
		if err != nil {
			return err
		}
		got, err := small.Gather(ctx)
		if err != nil || c.Rank() != 0 {
			return err
		}
		if len(want["shared"]) != 40 || len(want) != 40+7+1 {
			return fmt.Errorf("the index is not what the files hold: %d words, shared in %d files", len(want), len(want["shared"]))
		}
		if !maps.EqualFunc(got, want, slices.Equal[[]string]) {
			return fmt.Errorf("%d words under the budget, %d without", len(got), len(want))
		}
		return nil
	})
	require.NoError(t, err)
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, left)
}
