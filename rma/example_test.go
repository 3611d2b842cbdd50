package rma_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// Rank 0 claims and produces ten messages; ranks 1 to 3 take until no more.
// The messages taken are gathered on rank 0 through a second channel.
func ExampleNewChannel() {
	ctx := context.Background()
	err := local.Run(ctx, 4, func(ctx context.Context, w rma.World) error {
		// Collective: every rank creates the channel; rank 0 owns the ring.
		ch, err := rma.NewChannel(ctx, w, 0, 4 /* slots */, 8 /* bytes per message */)
		if err != nil {
			return err
		}
		done, err := rma.NewChannel(ctx, w, 0, 16, 8, rma.WithClaims(10))
		if err != nil {
			return err
		}
		if w.Rank() == 0 {
			// Any rank may claim; consumers wait for the first claim.
			if err := ch.Claim(10); err != nil {
				return err
			}
			for i := range 10 {
				if err := ch.Put(ctx, []byte{byte(i)}); err != nil {
					return err
				}
			}
			var got []int
			for msg, err := range done.Messages(ctx) {
				if err != nil {
					return err
				}
				got = append(got, int(msg[0]))
			}
			slices.Sort(got)
			fmt.Println("taken:", got)
		} else {
			// Messages ends at "no more": mpi-channels' None.
			for msg, err := range ch.Messages(ctx) {
				if err != nil {
					return err
				}
				if err := done.Put(ctx, msg); err != nil {
					return err
				}
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if err := ch.Close(ctx); err != nil {
			return err
		}
		return done.Close(ctx)
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: taken: [0 1 2 3 4 5 6 7 8 9]
}
