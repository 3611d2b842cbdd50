package cluster

import (
	"fmt"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/rma"
)

// Config describes a job. Every rank must use the same kinds and options.
type Config struct {
	// Ranks is the number of in-process ranks; under MPI the job's size
	// is used instead.
	Ranks int
	// Kinds are the actor kinds that can be spawned remotely and named.
	Kinds []Kind
	// Types registers the plain Go message types of the program. Protobuf
	// messages and the codec's built-in Go types (codec.BuiltinNames: bool,
	// string, []byte, the integer and float types, slices of them, maps from
	// string to them, ...) need no registration.
	Types []codec.Option
	// System passes options to every rank's actor system.
	System []actor.Option
}

// Kind is a named recipe for actors, the same on every rank.
type Kind struct {
	Name  string
	Props *actor.Props
}

// NewKind names props as a kind.
func NewKind(name string, props *actor.Props) Kind { return Kind{Name: name, Props: props} }

func (cfg Config) kinds() (map[string]*actor.Props, error) {
	kinds := make(map[string]*actor.Props, len(cfg.Kinds))
	for _, k := range cfg.Kinds {
		switch {
		case k.Name == "":
			return nil, fmt.Errorf("%w: a kind without a name", rma.ErrInvalidArgument)
		case k.Props == nil:
			return nil, fmt.Errorf("%w: kind %q has no props", rma.ErrInvalidArgument, k.Name)
		case kinds[k.Name] != nil:
			return nil, fmt.Errorf("%w: kind %q registered twice", rma.ErrInvalidArgument, k.Name)
		}
		kinds[k.Name] = k.Props
	}
	return kinds, nil
}
