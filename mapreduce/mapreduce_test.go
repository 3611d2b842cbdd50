package mapreduce_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/mapreduce"
	"github.com/rmactor/rmactor/rma"
)

func add(a, b int) int { return a + b }

// fields emits every space-separated word of a string once.
func fields(l string, emit func(string, int)) error {
	for _, w := range strings.Fields(l) {
		emit(w, 1)
	}
	return nil
}

func words(line []byte, emit func(string, int)) error {
	for _, w := range bytes.Fields(line) {
		emit(string(w), 1)
	}
	return nil
}

// sequential counts the words of the files under dir.
func sequential(t *testing.T, dir string) map[string]int {
	want := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		for _, w := range bytes.Fields(b) {
			want[string(w)]++
		}
		return err
	})
	require.NoError(t, err)
	return want
}

// awkward writes files of awkward shape: empty, binary, one line longer
// than any read buffer, CRLF, no final newline, and many small files.
func awkward(t *testing.T) string {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	write("empty", nil)
	bin := make([]byte, 1<<16)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	write("binary", bin)
	write("long", []byte(strings.Repeat("tok ", 1<<20)+strings.Repeat("x", 3<<20)+"\nend\n"))
	write("crlf", []byte("a b\r\nb c\r\n"))
	write("nofinal", []byte("last line without newline"))
	for i := range 300 {
		write(fmt.Sprintf("many/%03d", i), []byte(fmt.Sprintf("w%d common\ncommon\n", i%17)))
	}
	return dir
}

func TestWordCountOverFiles(t *testing.T) {
	dir := awkward(t)
	want := sequential(t, dir)
	for _, ranks := range []int{1, 2, 3, 5, 7} {
		t.Run(fmt.Sprint(ranks), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := cluster.Run(ctx, cluster.Config{Ranks: ranks}, func(ctx context.Context, c *cluster.Cluster) error {
				// A small combine table: the shuffle runs many times.
				res, err := mapreduce.Run(ctx, c, "wc", mapreduce.Lines(dir), words, add,
					mapreduce.WithCombineEntries(100), mapreduce.WithBatchPairs(64))
				if err != nil {
					return err
				}
				got, err := res.Gather(ctx)
				if err != nil {
					return err
				}
				if c.Rank() == 0 && !maps.Equal(got, want) {
					return fmt.Errorf("%d keys, want %d; x: %d, want %d", len(got), len(want), got["tok"], want["tok"])
				}
				top, err := res.Top(ctx, 2, func(a, b mapreduce.Pair[string, int]) bool { return a.Value > b.Value })
				if err != nil {
					return err
				}
				if c.Rank() == 0 && (len(top) != 2 || top[0].Key != "tok" || top[0].Value != 1<<20 || top[1].Key != "common") {
					return fmt.Errorf("top %v", top)
				}
				return nil
			})
			require.NoError(t, err)
		})
	}
}

// A job's output feeds the next: how many words occur how often.
func TestChaining(t *testing.T) {
	lines := []string{"a b c", "a b", "a", "d d d"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 3}, func(ctx context.Context, c *cluster.Cluster) error {
		counts, err := mapreduce.Run(ctx, c, "count", mapreduce.Slice(lines), fields, add)
		if err != nil {
			return err
		}
		freq, err := mapreduce.Run(ctx, c, "freq", counts.Source(), func(p mapreduce.Pair[string, int], emit func(int, int)) error {
			emit(p.Value, 1)
			return nil
		}, add)
		if err != nil {
			return err
		}
		got, err := freq.Gather(ctx)
		if err != nil {
			return err
		}
		// a:3 b:2 c:1 d:3 → two words 3 times, one twice, one once.
		if want := map[int]int{3: 2, 2: 1, 1: 1}; c.Rank() == 0 && !maps.Equal(got, want) {
			return fmt.Errorf("got %v, want %v", got, want)
		}
		return nil
	})
	require.NoError(t, err)
}

func TestMapperErrorNamesThePlace(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in"), []byte("fine\nbad\n"), 0o644))
	boom := errors.New("boom")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		_, err := mapreduce.Run(ctx, c, "bad", mapreduce.Lines(dir), func(l []byte, emit func(string, int)) error {
			if string(l) == "bad" {
				return boom
			}
			return nil
		}, add)
		return err
	})
	require.ErrorIs(t, err, boom)
	// Rank 1's part starts mid-file: the line is named by its byte.
	require.ErrorContains(t, err, filepath.Join(dir, "in")+", the line at byte 5")
}

func TestBadInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 1}, func(ctx context.Context, c *cluster.Cluster) error {
		_, err := mapreduce.Run(ctx, c, "missing", mapreduce.Lines("/no/such/dir"), words, add)
		return err
	})
	require.ErrorIs(t, err, mapreduce.ErrInput)
	err = cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		_, err := mapreduce.Run(ctx, c, "part", mapreduce.Slice([]string{"x"}), func(s string, emit func(string, int)) error {
			emit(s, 1)
			return nil
		}, add, mapreduce.WithPartitioner(func(string, int) int { return 7 }))
		return err
	})
	require.ErrorIs(t, err, rma.ErrInvalidArgument)
}

func TestWriteText(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		res, err := mapreduce.Run(ctx, c, "w", mapreduce.Slice([]string{"b a", "a"}), fields, add)
		if err != nil {
			return err
		}
		_, err = res.WriteText(dir)
		return err
	})
	require.NoError(t, err)
	a, err := os.ReadFile(filepath.Join(dir, "part-00000"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "part-00001"))
	require.NoError(t, err)
	all := strings.Split(strings.TrimSpace(string(a)+string(b)), "\n")
	require.ElementsMatch(t, []string{"a\t2", "b\t1"}, all)
}

// A batch the reducer cannot read fails the job on that rank rather than
// leaving its pairs out of the result.
func TestUnreadableBatchFailsTheJob(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		sent := false
		_, err := mapreduce.Run(ctx, c, "garbled", mapreduce.Slice([]string{"a", "b"}), func(s string, emit func(string, int)) error {
			if !sent && c.Rank() == 1 {
				sent = true
				if err := c.System().Send(ctx, actor.PIDOn(0, "mapreduce.garbled"), []byte{0xff}); err != nil {
					return err
				}
			}
			emit(s, 1)
			return nil
		}, add)
		return err
	})
	require.ErrorIs(t, err, codec.ErrDecode)
	require.ErrorContains(t, err, "rank 0")
}
