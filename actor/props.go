package actor

import (
	"errors"
	"fmt"
	"strings"

	pa "github.com/asynkron/protoactor-go/actor"

	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

// ErrReservedName reports a spawn name that looks like a mailbox address
// ("@…"): those ids are made by the runtime.
var ErrReservedName = errors.New("actor: names starting with \"@\" are reserved")

// PropsFromProducer is protoactor's PropsFromProducer with an rmactor
// mailbox: the actor's user queue is a RemoteChannel in its rank's window,
// and its PID works from every rank. Options run after the defaults, so
// WithClaims or a protoactor option may change them.
func PropsFromProducer(producer Producer, opts ...PropsOption) *Props {
	return pa.PropsFromProducer(producer, withDefaults(opts)...)
}

// PropsFromFunc is PropsFromProducer for a receive function.
func PropsFromFunc(f ReceiveFunc, opts ...PropsOption) *Props {
	return pa.PropsFromFunc(f, withDefaults(opts)...)
}

func withDefaults(opts []PropsOption) []PropsOption {
	all := make([]PropsOption, 0, len(opts)+2)
	all = append(all, pa.WithMailbox(mailbox.Producer()), pa.WithSpawnFunc(spawn))
	return append(all, opts...)
}

// MaxClaims is the most claims a mailbox holds at once.
const MaxClaims = mailbox.MaxClaims

// WithClaims spawns the actor with n claims: it processes exactly that many
// user messages (plus claims added later with System.AddClaims), then stops
// by itself and its watchers get Terminated. Claims must be added before
// the messages they cover arrive. A negative n fails the spawn with
// rma.ErrNegativeClaim, one over MaxClaims with rma.ErrInvalidArgument.
func WithClaims(n int) PropsOption {
	var bad error
	switch {
	case n < 0:
		bad = rma.ErrNegativeClaim
	case uint64(n) > mailbox.MaxClaims:
		bad = fmt.Errorf("%w: more than MaxClaims (%d)", rma.ErrInvalidArgument, MaxClaims)
	}
	if bad != nil {
		return pa.WithSpawnFunc(func(*pa.ActorSystem, string, *pa.Props, pa.SpawnerContext) (*pa.PID, error) {
			return nil, fmt.Errorf("actor: WithClaims(%d): %w", n, bad)
		})
	}
	return pa.WithMailbox(mailbox.Producer(mailbox.Claims(uint64(n))))
}

// spawn gives an actor with a generated id a mailbox ring and writes the
// ring's address into the id, so that any rank can reach the ring from the
// PID alone (ids are generated when their last segment has a "$", as
// protoactor makes them). Named actors keep their names and receive other ranks'
// messages through the rank's inbox.
func spawn(as *pa.ActorSystem, id string, props *pa.Props, parent pa.SpawnerContext) (*pa.PID, error) {
	r, ok := mailbox.RankOf(as)
	if !ok {
		return pa.DefaultSpawner(as, id, props, parent)
	}
	seg := id[strings.LastIndexByte(id, '/')+1:]
	if strings.HasPrefix(seg, mailbox.AddressPrefix) {
		return nil, fmt.Errorf("%w: %q", ErrReservedName, id)
	}
	if !strings.Contains(seg, "$") {
		return pa.DefaultSpawner(as, id, props, parent)
	}
	a, err := r.Reserve()
	if err != nil {
		return nil, fmt.Errorf("actor: spawn: %w", err)
	}
	pid, err := pa.DefaultSpawner(as, mailbox.WithAddress(id, a), props, parent)
	// A no-op once the mailbox bound the ring; otherwise (props with a
	// mailbox of another kind, a failed spawn) the ring goes back.
	r.Unreserve(a)
	return pid, err
}
