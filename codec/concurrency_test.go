package codec_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// One Codec shared by many goroutines, each encoding and decoding its own
// messages of every kind, with a few failures mixed in. Run with -race.
func TestConcurrentUse(t *testing.T) {
	c := newCodec(t)
	const goroutines, rounds = 8, 200

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			buf := make([]byte, 0, 64)
			for i := range rounds {
				msgs := []any{
					&Ping{N: int64(g*rounds + i), S: fmt.Sprint(g)},
					&Tree{Val: i, Kids: []*Tree{{Val: g}}},
					WithAny{V: map[string]any{"g": g}},
					wrapperspb.Int64(int64(i)),
					&actor.PID{Address: "a", Id: fmt.Sprint(g, i)},
					i, []float64{float64(g), float64(i)}, map[string]int{"g": g}, // built-in
				}
				for _, msg := range msgs {
					name, out, err := c.AppendEncode(buf[:0], msg)
					if err != nil {
						errs <- err
						return
					}
					got, err := c.Decode(name, out)
					if err != nil {
						errs <- err
						return
					}
					if m, ok := msg.(proto.Message); ok {
						if !proto.Equal(m, got.(proto.Message)) {
							errs <- fmt.Errorf("%v != %v", m, got)
							return
						}
					} else if _, ok := msg.(WithAny); !ok && !assert.ObjectsAreEqual(msg, got) {
						errs <- fmt.Errorf("%v != %v", msg, got)
						return
					}
					buf = out[:0]
				}
				if _, err := c.Decode("nope", nil); err == nil {
					errs <- fmt.Errorf("decoded an unknown name")
					return
				}
				_ = c.Names()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
