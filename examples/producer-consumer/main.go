// Command producer-consumer is the mpi-channels README example in Go: rank 0
// creates a RemoteChannel, claims N records and produces them; every other
// rank consumes until the channel reports no more. Each consumer reports how
// many records it took and their checksum; rank 0 prints the table and checks
// the total against a sequential computation.
//
//	go run ./examples/producer-consumer -ranks 4 -n 1000
//
// Built with -tags mpi it runs as an MPI job instead (the job's size
// replaces -ranks):
//
//	go build -tags mpi -o producer-consumer ./examples/producer-consumer
//	mpirun -n 4 ./producer-consumer -n 1000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/rma"
)

// Config is the example's parameters.
type Config struct {
	Records int // records rank 0 produces
	Buffer  int // channel capacity in slots
}

func main() {
	ranks := flag.Int("ranks", 4, "number of in-process ranks, at least 2 (under MPI the job's size)")
	cfg := Config{}
	flag.IntVar(&cfg.Records, "n", 1000, "number of records to produce")
	flag.IntVar(&cfg.Buffer, "buffer", 16, "channel capacity in slots")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := launch.Run(ctx, *ranks, func(ctx context.Context, w rma.World) error {
		return Run(ctx, w, cfg, os.Stdout)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "producer-consumer:", err)
		os.Exit(1)
	}
}

// record is what rank 0 produces for index i: a tuple of three float64s.
func record(i int) [3]float64 { x := float64(i); return [3]float64{x, 2 * x, x * x} }

// ErrChecksum reports consumers whose results do not add up.
var ErrChecksum = errors.New("producer-consumer: checksum mismatch")

// Run is the SPMD program. Rank 0 writes the report to out.
func Run(ctx context.Context, w rma.World, cfg Config, out io.Writer) error {
	if w.Size() < 2 {
		return fmt.Errorf("%w: producer-consumer needs at least 2 ranks, got %d", rma.ErrInvalidArgument, w.Size())
	}
	if cfg.Records < 0 {
		return fmt.Errorf("%w: %d records", rma.ErrInvalidArgument, cfg.Records)
	}
	// The work channel, as in mpi-channels: RemoteChannel(buff_size, message_size).
	inputs, err := rma.NewChannel(ctx, w, 0, cfg.Buffer, rma.RecordBytes[float64](3))
	if err != nil {
		return err
	}
	// Each consumer reports (rank, count, checksum) to rank 0.
	results, err := rma.NewChannel(ctx, w, 0, w.Size(), rma.RecordBytes[float64](3), rma.WithClaims(w.Size()-1))
	if err != nil {
		return err
	}
	work, report := rma.RecordsOf[float64](inputs), rma.RecordsOf[float64](results)

	if w.Rank() == 0 {
		// inputs.claim(data_size); consumers that already wait start now.
		if err := inputs.Claim(cfg.Records); err != nil {
			return err
		}
		for i := range cfg.Records {
			r := record(i)
			if err := work.PutF(r[:]...).Err(); err != nil && !errors.Is(err, rma.ErrPending) {
				return err
			}
		}
		if err := printReport(ctx, w, report, cfg, out); err != nil {
			return err
		}
	} else {
		count, sum := 0, 0.0
		for {
			p, err := work.Take(ctx)
			if errors.Is(err, rma.ErrNoMore) { // p is None
				break
			}
			if err != nil {
				return err
			}
			count++
			for _, v := range p {
				sum += v
			}
		}
		if err := report.Put(ctx, float64(w.Rank()), float64(count), sum); err != nil {
			return err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return errors.Join(inputs.Close(ctx), results.Close(ctx))
}

func printReport(ctx context.Context, w rma.World, report rma.Records[float64], cfg Config, out io.Writer) error {
	counts := make([]int, w.Size())
	sums := make([]float64, w.Size())
	for range w.Size() - 1 {
		r, err := report.Take(ctx)
		if err != nil {
			return err
		}
		if len(r) != 3 {
			return fmt.Errorf("%w: report of %d values", rma.ErrCorrupt, len(r))
		}
		rank := int(r[0])
		counts[rank], sums[rank] = int(r[1]), r[2]
	}
	total, checksum := 0, 0.0
	for rank := 1; rank < w.Size(); rank++ {
		fmt.Fprintf(out, "rank %d consumed %d records, checksum %.0f\n", rank, counts[rank], sums[rank])
		total += counts[rank]
		checksum += sums[rank]
	}
	want := 0.0
	for i := range cfg.Records {
		r := record(i)
		want += r[0] + r[1] + r[2]
	}
	fmt.Fprintf(out, "total %d records, checksum %.0f (sequential %.0f)\n", total, checksum, want)
	if total != cfg.Records || checksum != want {
		return fmt.Errorf("%w: %d records with checksum %.0f, want %d with %.0f", ErrChecksum, total, checksum, cfg.Records, want)
	}
	return nil
}
