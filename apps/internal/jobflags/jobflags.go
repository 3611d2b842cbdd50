// Package jobflags is the flags the map-reduce apps share: the memory
// budget, progress reports and counters.
package jobflags

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mapreduce"
)

// Flags is the shared settings. MemoryMiB and TempDir are flags of the
// app; Every and Stats come from the launcher (actorrun's --progress and
// --stats).
type Flags struct {
	MemoryMiB int64         // the memory budget per rank, in MiB; 0 for mapreduce.DefaultMemory
	TempDir   string        // where spill files go; "" for the system's
	Every     time.Duration // rank 0 reports its job counters this often on Log; 0: never
	Stats     bool          // rank 0 prints every rank's job counters at the end
	Log       io.Writer     // where progress goes; the app's output if nil
}

// Register adds the app's flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.Int64Var(&f.MemoryMiB, "memory", f.MemoryMiB, "memory budget per rank in MiB, past which data spill to disk (0: the default, 512)")
	fs.StringVar(&f.TempDir, "tmp", f.TempDir, "directory for spill files (default: the system's)")
}

// Options is the job options the flags ask for, on this rank; progress
// goes to out unless Log is set.
func (f *Flags) Options(c *cluster.Cluster, job string, out io.Writer) []mapreduce.Option {
	var opts []mapreduce.Option
	if f.MemoryMiB > 0 {
		opts = append(opts, mapreduce.WithMemory(f.MemoryMiB<<20))
	}
	if f.TempDir != "" {
		opts = append(opts, mapreduce.WithTempDir(f.TempDir))
	}
	if f.Every > 0 && c.Rank() == 0 {
		log := f.Log
		if log == nil {
			log = out
		}
		opts = append(opts, mapreduce.WithProgress(f.Every, func(s mapreduce.Stats) {
			fmt.Fprintf(log, "progress: %s rank 0: %s\n", job, s)
		}))
	}
	return opts
}

// Report prints, on rank 0, every rank's counters of a job and their sum
// (collective; a no-op unless --stats).
func (f *Flags) Report(ctx context.Context, c *cluster.Cluster, job string, s mapreduce.Stats, out io.Writer) error {
	if !f.Stats {
		return nil
	}
	all, err := cluster.Gather(ctx, c, []int64{s.Records, s.Bytes, s.Emitted, s.Shuffled, s.ShuffleBytes, s.Received, s.Keys, s.Spills, s.SpillBytes})
	if err != nil || c.Rank() != 0 {
		return err
	}
	var sum mapreduce.Stats
	for r, v := range all {
		if len(v) != 9 {
			return fmt.Errorf("jobflags: rank %d sent %d counters", r, len(v))
		}
		s := mapreduce.Stats{Records: v[0], Bytes: v[1], Emitted: v[2], Shuffled: v[3], ShuffleBytes: v[4], Received: v[5], Keys: v[6], Spills: v[7], SpillBytes: v[8]}
		fmt.Fprintf(out, "stats: %s rank %d: %s\n", job, r, s)
		sum = sum.Add(s)
	}
	fmt.Fprintf(out, "stats: %s all ranks: %s\n", job, sum)
	return nil
}
