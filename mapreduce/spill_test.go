package mapreduce_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/mapreduce"
	"github.com/rmactor/rmactor/rma"
)

// requireEmptyDir fails unless dir holds nothing: every spill file gone.
func requireEmptyDir(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, left, "spill files left behind")
}

// A budget far smaller than the data gives the same counts as the
// default, with the partition spilled, merged, kept on disk and read back
// by every Result method; closing the Result removes the files.
func TestFoldUnderASmallBudget(t *testing.T) {
	dir := awkward(t)
	want := sequential(t, dir)
	for _, ranks := range []int{1, 3} {
		t.Run(fmt.Sprint(ranks), func(t *testing.T) {
			tmp := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := cluster.Run(ctx, cluster.Config{Ranks: ranks}, func(ctx context.Context, c *cluster.Cluster) error {
				res, err := mapreduce.Run(ctx, c, "small", mapreduce.Lines(dir), words, add,
					mapreduce.WithMemory(4<<10), mapreduce.WithTempDir(tmp), mapreduce.WithBatchPairs(16))
				if err != nil {
					return err
				}
				spills, err := cluster.Gather(ctx, c, res.Stats().Spills)
				if err != nil {
					return err
				}
				if c.Rank() == 0 && slices.Max(spills) == 0 {
					return errors.New("nothing spilled")
				}
				var prev string
				n := 0
				for k, v := range res.Sorted() {
					if n > 0 && k <= prev {
						return fmt.Errorf("%q after %q", k, prev)
					}
					if v != want[k] {
						return fmt.Errorf("%q: %d, want %d", k, v, want[k])
					}
					prev, n = k, n+1
				}
				if n != res.Len() {
					return fmt.Errorf("Sorted gave %d keys, Len %d", n, res.Len())
				}
				if v, ok := res.Get(prev); n > 0 && (!ok || v != want[prev]) {
					return fmt.Errorf("Get(%q) = %d, %v", prev, v, ok)
				}
				if _, ok := res.Get("\xff\xffnot a word"); ok {
					return errors.New("Get found a missing key")
				}
				got, err := res.Gather(ctx)
				if err != nil {
					return err
				}
				if c.Rank() == 0 && !maps.Equal(got, want) {
					return fmt.Errorf("%d keys, want %d", len(got), len(want))
				}
				top, err := res.Top(ctx, 2, func(a, b mapreduce.Pair[string, int]) bool { return a.Value > b.Value })
				if err != nil {
					return err
				}
				if c.Rank() == 0 && (len(top) != 2 || top[0].Key != "tok" || top[1].Key != "common") {
					return fmt.Errorf("top %v", top)
				}
				if err := res.Err(); err != nil {
					return err
				}
				return res.Close()
			})
			require.NoError(t, err)
			requireEmptyDir(t, tmp)
		})
	}
}

// distinct is a reduce that returns a key's values sorted and deduplicated.
func distinct(_ string, values iter.Seq[string]) ([]string, error) {
	return slices.Compact(slices.Sorted(values)), nil
}

// Reduce streams every value of a key, even a key with far more values
// than the budget, and gives the same answer with any budget.
func TestReduceStreamsAKeysValues(t *testing.T) {
	const many = 50_000
	items := make([]int, many)
	for i := range items {
		items[i] = i
	}
	for _, memory := range []int64{mapreduce.DefaultMemory, 8 << 10} {
		t.Run(fmt.Sprint(memory), func(t *testing.T) {
			tmp := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := cluster.Run(ctx, cluster.Config{Ranks: 3}, func(ctx context.Context, c *cluster.Cluster) error {
				// Every item goes to key "all"; every tenth also to its own key.
				res, err := mapreduce.Reduce(ctx, c, "stream", mapreduce.Slice(items), func(i int, emit func(string, int)) error {
					emit("all", i)
					if i%10 == 0 {
						emit(fmt.Sprintf("k%06d", i), i)
					}
					return nil
				}, func(key string, values iter.Seq[int]) ([2]int, error) {
					n, sum := 0, 0
					for v := range values {
						n, sum = n+1, sum+v
					}
					return [2]int{n, sum}, nil
				}, mapreduce.WithMemory(memory), mapreduce.WithTempDir(tmp))
				if err != nil {
					return err
				}
				defer res.Close()
				if got, ok := res.Get("all"); ok && got != [2]int{many, many * (many - 1) / 2} {
					return fmt.Errorf("all: %v", got)
				}
				if memory < mapreduce.DefaultMemory && res.Stats().Received > 1000 && res.Stats().Spills == 0 {
					return errors.New("nothing spilled")
				}
				all, err := res.Gather(ctx)
				if err != nil || c.Rank() != 0 {
					return err
				}
				if len(all) != many/10+1 {
					return fmt.Errorf("%d keys, want %d", len(all), many/10+1)
				}
				for i := 0; i < many; i += 10 {
					if got := all[fmt.Sprintf("k%06d", i)]; got != [2]int{1, i} {
						return fmt.Errorf("k%06d: %v", i, got)
					}
				}
				return nil
			})
			require.NoError(t, err)
			requireEmptyDir(t, tmp)
		})
	}
}

// A reduce may stop reading a key's values, or not read them: the next
// key still gets only its own.
func TestReduceReadsPartly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		words := strings.Fields("a a a b b c d d d d")
		res, err := mapreduce.Reduce(ctx, c, "partly", mapreduce.Slice(words), func(w string, emit func(string, int)) error {
			emit(w, 1)
			return nil
		}, func(key string, values iter.Seq[int]) (int, error) {
			n := 0
			switch key {
			case "a": // none read
			case "b", "d": // the first only
				for range values {
					n++
					break
				}
			default:
				for range values {
					n++
				}
			}
			return n, nil
		}, mapreduce.WithMemory(1<<10), mapreduce.WithTempDir(t.TempDir()))
		if err != nil {
			return err
		}
		defer res.Close()
		all, err := res.Gather(ctx)
		if err == nil && c.Rank() == 0 && !maps.Equal(all, map[string]int{"a": 0, "b": 1, "c": 1, "d": 1}) {
			return fmt.Errorf("got %v", all)
		}
		return err
	})
	require.NoError(t, err)
}

// A failing job removes its spill files: a mapper's error after spills,
// a reduce's error (which names the key), and a cancelled context.
func TestFailedJobsRemoveTheirFiles(t *testing.T) {
	items := make([]int, 20_000)
	for i := range items {
		items[i] = i
	}
	boom := errors.New("boom")
	cases := map[string]struct {
		mapper func(c *cluster.Cluster, cancel func()) func(int, func(int, string)) error
		reduce func(int, iter.Seq[string]) (int, error)
		want   error
		names  string
	}{
		"mapper": {
			mapper: func(c *cluster.Cluster, _ func()) func(int, func(int, string)) error {
				return func(i int, emit func(int, string)) error {
					if i == len(items)-1 {
						return boom
					}
					emit(i, strings.Repeat("v", 100))
					return nil
				}
			},
			want: boom, names: "item 19999",
		},
		"reduce": {
			reduce: func(k int, vals iter.Seq[string]) (int, error) {
				if k == 777 {
					return 0, boom
				}
				return 0, nil
			},
			want: boom, names: "key 777",
		},
		"cancel": {
			mapper: func(c *cluster.Cluster, cancel func()) func(int, func(int, string)) error {
				return func(i int, emit func(int, string)) error {
					if i == 15_000 {
						cancel()
					}
					emit(i, strings.Repeat("v", 100))
					return nil
				}
			},
			want: context.Canceled,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			jobCtx, cancelJob := context.WithCancel(ctx)
			defer cancelJob()
			err := cluster.Run(jobCtx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
				mapper := func(i int, emit func(int, string)) error {
					emit(i, strings.Repeat("v", 100))
					return nil
				}
				if tc.mapper != nil {
					mapper = tc.mapper(c, cancelJob)
				}
				reduce := func(int, iter.Seq[string]) (int, error) { return 0, nil }
				if tc.reduce != nil {
					reduce = tc.reduce
				}
				res, err := mapreduce.Reduce(ctx, c, "fail", mapreduce.Slice(items), mapper, reduce,
					mapreduce.WithMemory(64<<10), mapreduce.WithTempDir(tmp))
				if err == nil {
					res.Close()
				}
				return err
			})
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.names)
			requireEmptyDir(t, tmp)
		})
	}
}

func TestMemoryOptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, opt := range []mapreduce.Option{mapreduce.WithMemory(10), mapreduce.WithTempDir(""), mapreduce.WithBatchBytes(0),
		mapreduce.WithProgress(time.Second, nil), mapreduce.WithProgress(0, func(mapreduce.Stats) {}),
		mapreduce.WithPartitioner(func(int, int) int { return 0 })} { // int keys, for a job of string keys
		err := cluster.Run(ctx, cluster.Config{Ranks: 1}, func(ctx context.Context, c *cluster.Cluster) error {
			_, err := mapreduce.Run(ctx, c, "opt", mapreduce.Slice([]string{"a"}), fields, add, opt)
			return err
		})
		require.ErrorIs(t, err, rma.ErrInvalidArgument)
	}
}

// Pairs a rank keeps for itself skip the codec, so a value type the codec
// cannot carry fails every job up front, on one rank as on several.
func TestUnencodableTypesFailOnOneRankToo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, ranks := range []int{1, 2} {
		err := cluster.Run(ctx, cluster.Config{Ranks: ranks}, func(ctx context.Context, c *cluster.Cluster) error {
			_, err := mapreduce.Run(ctx, c, "chan", mapreduce.Slice([]string{"a"}), func(s string, emit func(string, chan int)) error {
				emit(s, nil)
				return nil
			}, func(a, b chan int) chan int { return a })
			return err
		})
		require.ErrorIs(t, err, codec.ErrEncode, "ranks=%d", ranks)
	}
}

// Blocks gives the same words as Lines, on any number of ranks.
func TestBlocksHoldEveryLineOnce(t *testing.T) {
	dir := awkward(t)
	want := sequential(t, dir)
	for _, ranks := range []int{1, 2, 5} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := cluster.Run(ctx, cluster.Config{Ranks: ranks}, func(ctx context.Context, c *cluster.Cluster) error {
			res, err := mapreduce.Run(ctx, c, "blocks", mapreduce.Blocks(dir), words, add)
			if err != nil {
				return err
			}
			got, err := res.Gather(ctx)
			if err == nil && c.Rank() == 0 && !maps.Equal(got, want) {
				return fmt.Errorf("%d words, want %d", len(got), len(want))
			}
			return err
		})
		cancel()
		require.NoError(t, err, "ranks=%d", ranks)
	}
}

// Parts written by a job on 3 ranks feed a job on 2; a damaged or
// mistyped part fails the reading job with ErrInput.
func TestPartsChainAcrossJobs(t *testing.T) {
	dir := t.TempDir()
	lines := []string{"a b c", "a b", "a", "d d d"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 3}, func(ctx context.Context, c *cluster.Cluster) error {
		res, err := mapreduce.Run(ctx, c, "count", mapreduce.Slice(lines), fields, add)
		if err != nil {
			return err
		}
		_, err = res.WriteParts(dir)
		return err
	})
	require.NoError(t, err)
	freq := func(p mapreduce.Pair[string, int], emit func(int, int)) error {
		emit(p.Value, 1)
		return nil
	}
	err = cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		res, err := mapreduce.Run(ctx, c, "freq", mapreduce.Parts[string, int](dir), freq, add)
		if err != nil {
			return err
		}
		got, err := res.Gather(ctx)
		if want := map[int]int{3: 2, 2: 1, 1: 1}; err == nil && c.Rank() == 0 && !maps.Equal(got, want) {
			return fmt.Errorf("got %v, want %v", got, want)
		}
		return err
	})
	require.NoError(t, err)

	// The wrong types.
	err = cluster.Run(ctx, cluster.Config{Ranks: 2}, func(ctx context.Context, c *cluster.Cluster) error {
		_, err := mapreduce.Run(ctx, c, "typed", mapreduce.Parts[int, string](dir), func(mapreduce.Pair[int, string], func(int, int)) error { return nil }, add)
		return err
	})
	require.ErrorIs(t, err, mapreduce.ErrInput)
	// A damaged part, and a directory without parts.
	part := dir + "/part-00001.pairs"
	b, err := os.ReadFile(part)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(part, b[:len(b)-1], 0o644))
	for _, from := range []string{dir, t.TempDir()} {
		err = cluster.Run(ctx, cluster.Config{Ranks: 1}, func(ctx context.Context, c *cluster.Cluster) error {
			_, err := mapreduce.Run(ctx, c, "damaged", mapreduce.Parts[string, int](from), freq, add)
			return err
		})
		require.ErrorIs(t, err, mapreduce.ErrInput, from)
	}
}
