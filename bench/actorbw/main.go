// Command actorbw measures actor message bandwidth between rank 0 and rank 1
// with the method of the C reference bench/mpibw/mpi_bw.c, so that
// scripts/bench-bandwidth can put the two (and protoactor-go's remote,
// bench/protoremote) side by side:
//
//   - oneway: rank 0 sends a window of messages to a sink actor on rank 1,
//     all but the last with RootContext.Send and the last with
//     RequestFuture; the sink answers that one with a small Int64Value, which
//     ends the window (messages to one mailbox arrive in order, so by then
//     the whole window has been handled). Bandwidth = payload bytes sent /
//     time on rank 0.
//   - reqreply: rank 0 makes RequestFuture calls, one at a time, to an echo
//     actor on rank 1 that answers with the message it got. Bandwidth = 2 ×
//     payload bytes × round trips / time (both directions), and the mean
//     round trip.
//
// The message is a protobuf BytesValue of each of -sizes bytes, or, for the
// size "int64", an Int64Value (the small-message rate). The window is
// -window messages, fewer when they would add up to more than -window-bytes
// (4 of 16 MiB). Each measurement runs one untimed window or round trip,
// then windows (or round trips) until -time has passed. MB is 10^6 bytes.
// Each result line also gives the envelope's size, whether that fits a
// mailbox slot (inline) or takes the rendezvous path, and the frames and
// envelopes rank 0 put into rings meanwhile (a staged chunk is a frame).
//
//	go build -tags mpi -o actorbw ./bench/actorbw
//	mpirun -n 2 ./actorbw -sizes 1K,64K,1M,16M
//	mpirun -n 2 ./actorbw -slot 2048 -sizes int64,256,1K,4K,16K -window 256
//
// Without -tags mpi it runs 2 in-process ranks. Rank 0 prints one line per
// measurement, and a line with the mailbox layout (window bytes per mailbox
// for the slot size).
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	codecpkg "github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

type config struct {
	sizes       []int
	modes       []string
	budget      time.Duration
	window      int
	windowBytes int
	slot        int
	chunk       int
	staging     int
	capacity    int
	label       string
	profile     string
	trace       string
}

func main() {
	var cfg config
	ranks := flag.Int("ranks", 2, "in-process ranks (under MPI the job's size)")
	sizes := flag.String("sizes", "1K,64K,1M,16M", "payload sizes in bytes, comma-separated (suffixes K and M are powers of 2); int64 for an Int64Value")
	modes := flag.String("modes", "oneway,reqreply", "measurements per size: oneway, reqreply")
	flag.DurationVar(&cfg.budget, "time", 500*time.Millisecond, "duration of each measurement")
	flag.IntVar(&cfg.window, "window", 64, "messages per window (oneway)")
	flag.IntVar(&cfg.windowBytes, "window-bytes", 64<<20, "largest window in payload bytes (fewer messages for large sizes)")
	flag.IntVar(&cfg.slot, "slot", 0, "mailbox slot bytes (0: the default)")
	flag.IntVar(&cfg.chunk, "chunk", 0, "staging chunk bytes (0: the default)")
	flag.IntVar(&cfg.staging, "staging", 0, "staging window bytes (0: the default)")
	flag.IntVar(&cfg.capacity, "capacity", 0, "mailbox slots (0: the default)")
	flag.StringVar(&cfg.label, "label", "rmactor", "first word of each result line")
	flag.StringVar(&cfg.profile, "cpuprofile", "", "write each rank's CPU profile to `prefix`.rankN")
	flag.StringVar(&cfg.trace, "trace", "", "write each rank's execution trace to `prefix`.rankN")
	flag.Parse()
	var err error
	if cfg.sizes, err = parseSizes(*sizes); err != nil {
		fmt.Fprintln(os.Stderr, "actorbw:", err)
		os.Exit(2)
	}
	cfg.modes = strings.Split(*modes, ",")
	for _, m := range cfg.modes {
		if m != "oneway" && m != "reqreply" {
			fmt.Fprintf(os.Stderr, "actorbw: unknown mode %q\n", m)
			os.Exit(2)
		}
	}
	if cfg.window < 1 || cfg.windowBytes < 1 || cfg.budget <= 0 {
		fmt.Fprintln(os.Stderr, "actorbw: -window, -window-bytes and -time must be positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = launch.Run(ctx, *ranks, func(ctx context.Context, w rma.World) error {
		return run(ctx, w, cfg, os.Stdout)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "actorbw:", err)
		os.Exit(1)
	}
}

// parseSizes reads "1K,64K,1M,16M" or plain byte counts; "int64" is 0.
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "int64" {
			out = append(out, 0)
			continue
		}
		mul := 1
		switch {
		case strings.HasSuffix(f, "K"):
			mul, f = 1<<10, strings.TrimSuffix(f, "K")
		case strings.HasSuffix(f, "M"):
			mul, f = 1<<20, strings.TrimSuffix(f, "M")
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > (1<<30)/mul {
			return nil, fmt.Errorf("bad size %q", f)
		}
		out = append(out, n*mul)
	}
	return out, nil
}

func (cfg config) options() []actor.Option {
	var opts []actor.Option
	if cfg.slot > 0 {
		opts = append(opts, actor.WithSlotBytes(cfg.slot))
	}
	if cfg.chunk > 0 || cfg.staging > 0 {
		d := mailbox.DefaultConfig()
		chunk, staging := d.ChunkBytes, d.StagingBytes
		if cfg.chunk > 0 {
			chunk = cfg.chunk
		}
		if cfg.staging > 0 {
			staging = cfg.staging
		}
		opts = append(opts, actor.WithStaging(staging, chunk))
	}
	if cfg.capacity > 0 {
		opts = append(opts, actor.WithMailboxCapacity(cfg.capacity))
	}
	return opts
}

func run(ctx context.Context, w rma.World, cfg config, out io.Writer) error {
	if w.Size() < 2 {
		return fmt.Errorf("%w: actorbw needs at least 2 ranks, got %d", rma.ErrInvalidArgument, w.Size())
	}
	sys, err := actor.NewSystem(ctx, w, cfg.options()...)
	if err != nil {
		return err
	}
	if w.Rank() == 1 {
		if err := host(sys); err != nil {
			return err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	// Profiles and traces cover the measurements only, not the set-up
	// and tear-down (where pollers idle).
	stop, err := startProfiles(w, cfg)
	if err != nil {
		return err
	}
	if w.Rank() == 0 {
		err = measure(ctx, w, sys, cfg, out)
	}
	if err != nil {
		stop()
		return err
	}
	err = w.Barrier(ctx)
	stop()
	if err != nil {
		return err
	}
	return sys.Close(ctx)
}

// startProfiles starts the CPU profile and the execution trace asked for;
// the function it returns stops them.
func startProfiles(w rma.World, cfg config) (stop func(), err error) {
	var files []*os.File
	stop = func() {
		if cfg.profile != "" {
			pprof.StopCPUProfile()
		}
		if cfg.trace != "" {
			trace.Stop()
		}
		for _, f := range files {
			f.Close()
		}
	}
	create := func(prefix string) (*os.File, error) {
		f, err := os.Create(fmt.Sprintf("%s.rank%d", prefix, w.Rank()))
		if err == nil {
			files = append(files, f)
		}
		return f, err
	}
	if cfg.profile != "" {
		f, err := create(cfg.profile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	if cfg.trace != "" {
		f, err := create(cfg.trace)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			if cfg.profile != "" {
				pprof.StopCPUProfile()
			}
			return nil, err
		}
	}
	return stop, nil
}

// host spawns rank 1's actors: "sink" counts what it is sent and answers a
// request with the count; "echo" answers a request with the message itself.
// A "directory" names their PIDs, which carry mailbox addresses (a named
// actor's messages would go through the rank's inbox instead).
func host(sys *actor.System) error {
	var count int64
	sink, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *wrapperspb.BytesValue, *wrapperspb.Int64Value:
			count++
			if c.Sender() != nil {
				c.Respond(wrapperspb.Int64(count))
			}
		}
	}))
	if err != nil {
		return err
	}
	echo, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *wrapperspb.BytesValue, *wrapperspb.Int64Value:
			c.Respond(m)
		}
	}))
	if err != nil {
		return err
	}
	_, err = sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
			switch m.Value {
			case "sink":
				c.Respond(sink)
			case "echo":
				c.Respond(echo)
			}
		}
	}), "directory")
	return err
}

func lookup(ctx context.Context, sys *actor.System, name string) (*actor.PID, error) {
	v, err := sys.Request(ctx, actor.PIDOn(1, "directory"), wrapperspb.String(name))
	if err != nil {
		return nil, err
	}
	pid, ok := v.(*actor.PID)
	if !ok {
		return nil, fmt.Errorf("%w: directory answered %T", rma.ErrCorrupt, v)
	}
	return pid, nil
}

const requestTimeout = time.Minute

func measure(ctx context.Context, w rma.World, sys *actor.System, cfg config, out io.Writer) error {
	sink, err := lookup(ctx, sys, "sink")
	if err != nil {
		return err
	}
	echo, err := lookup(ctx, sys, "echo")
	if err != nil {
		return err
	}
	st := sys.Stats()
	mc := mailbox.DefaultConfig()
	slot, chunk, staging := mc.SlotBytes, mc.ChunkBytes, mc.StagingBytes
	if cfg.slot > 0 {
		slot = cfg.slot
	}
	if cfg.chunk > 0 {
		chunk = cfg.chunk
	}
	if cfg.staging > 0 {
		staging = cfg.staging
	}
	fmt.Fprintf(out, "%s layout backend=%s path=%s slot=%d chunk=%d staging=%d window-bytes-per-mailbox=%d max-mailboxes=%d\n",
		cfg.label, launch.Backend(), path(w), slot, chunk, staging, st.WindowBytesPerMailbox, st.MaxMailboxes)
	root := sys.Root()
	codec, err := codecpkg.New()
	if err != nil {
		return err
	}
	for _, size := range cfg.sizes {
		// The message, and what it weighs: payload bytes counted for MB/s,
		// and the envelope of a plain send (a request's adds the sender),
		// which decides whether it goes inline in a slot or by rendezvous.
		var msg proto.Message
		if size == 0 {
			msg = wrapperspb.Int64(7)
		} else {
			b := make([]byte, size)
			for i := range b {
				b[i] = byte(i)
			}
			msg = wrapperspb.Bytes(b)
		}
		name, enc, err := codec.AppendEncode(nil, msg)
		if err != nil {
			return err
		}
		env := 2 + len(binary.AppendUvarint(nil, uint64(len(name)))) + len(name) + len(enc)
		how := "inline"
		if env+mailbox.FrameOverhead > slot {
			how = "rendezvous"
		}
		kind := fmt.Sprintf("size=%d", size)
		if size == 0 {
			kind, size = "size=int64", len(enc)
		}
		for _, mode := range cfg.modes {
			var before mailbox.Stats
			var line string
			switch mode {
			case "oneway":
				win := max(1, min(cfg.window, cfg.windowBytes/max(size, 1)))
				window := func() error {
					for range win - 1 {
						root.Send(sink, msg)
					}
					_, err := root.RequestFuture(sink, msg, requestTimeout).Result()
					return err
				}
				if err := window(); err != nil { // warm-up
					return fmt.Errorf("oneway %s: %w", kind, err)
				}
				before = sys.Stats()
				n := 0
				start := time.Now()
				for n == 0 || time.Since(start) < cfg.budget {
					if err := window(); err != nil {
						return fmt.Errorf("oneway %s: %w", kind, err)
					}
					n++
				}
				el := time.Since(start).Seconds()
				msgs := float64(n * win)
				line = fmt.Sprintf("oneway %s window=%d iters=%d seconds=%.3f MB/s=%.1f msg/s=%.0f",
					kind, win, n, el, float64(size)*msgs/el/1e6, msgs/el)
			case "reqreply":
				if _, err := root.RequestFuture(echo, msg, requestTimeout).Result(); err != nil {
					return fmt.Errorf("reqreply %s: %w", kind, err)
				}
				before = sys.Stats()
				var lat []time.Duration
				start := time.Now()
				for t := start; len(lat) == 0 || t.Sub(start) < cfg.budget; {
					v, err := root.RequestFuture(echo, msg, requestTimeout).Result()
					if err != nil {
						return fmt.Errorf("reqreply %s: %w", kind, err)
					}
					if b, ok := v.(*wrapperspb.BytesValue); ok && len(b.Value) != size {
						return fmt.Errorf("reqreply: %d bytes back, sent %d", len(b.Value), size)
					}
					now := time.Now()
					lat = append(lat, now.Sub(t))
					t = now
				}
				el := time.Since(start).Seconds()
				n := len(lat)
				slices.Sort(lat)
				line = fmt.Sprintf("reqreply %s iters=%d seconds=%.3f MB/s=%.1f rtt-us=%.1f p50-us=%.1f p99-us=%.1f",
					kind, n, el, 2*float64(size)*float64(n)/el/1e6, el/float64(n)*1e6,
					micros(lat[n/2]), micros(lat[n*99/100]))
			}
			after := sys.Stats()
			frames := after.FramesSent - before.FramesSent
			msgs := after.MessagesSent - before.MessagesSent
			fmt.Fprintf(out, "%s %s envelope=%d path=%s frames=%d messages=%d\n", cfg.label, line, env, how, frames, msgs)
		}
	}
	return nil
}

// path names the window path: "shm" for node shared memory, "one-sided"
// for MPI one-sided operations, "in-process" otherwise.
func path(w rma.World) string {
	sm, ok := w.(interface{ SharedMemory() bool })
	switch {
	case !ok:
		return "in-process"
	case sm.SharedMemory():
		return "shm"
	}
	return "one-sided"
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
