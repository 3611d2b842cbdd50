package invertedindex_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/apps/invertedindex"
	"github.com/rmactor/rmactor/cluster"
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
