package cluster

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rmactor/rmactor/actor"
)

// Named actors (virtual actors). The identity (kind, name) lives on the rank
// its identity hashes to, under the id "v:<kind>:<name>" (with '%', '/' and
// '$' escaped, so that protoactor never takes a name for a path or a
// generated id). Any rank computes the PID; the first message from another
// rank activates the actor through the actor system's activator, and Get on
// the owning rank activates it at once, so that local sends find it too.

const identityPrefix = "v:"

var identityEscaper = strings.NewReplacer("%", "%25", "/", "%2F", "$", "%24")

func identityID(kind, name string) string {
	return identityPrefix + identityEscaper.Replace(kind) + ":" + identityEscaper.Replace(name)
}

// Get returns the PID of the named actor (kind, name), activating it if it
// lives on this rank. It works from any rank without a lookup.
func (c *Cluster) Get(kind, name string) (*actor.PID, error) {
	props, ok := c.kinds[kind]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKind, kind)
	}
	rank := c.RankOf(kind + "\x00" + name)
	id := identityID(kind, name)
	pid := actor.PIDOn(rank, id)
	if rank == c.Rank() {
		if _, err := c.sys.SpawnNamed(props, id); err != nil && !errors.Is(err, actor.ErrNameExists) {
			return nil, fmt.Errorf("cluster: activate %s/%s: %w", kind, name, err)
		}
	}
	return pid, nil
}

// activator gives the actor system the props of a named actor that is not
// active yet, from its id.
func (c *Cluster) activator(id string) (*actor.Props, bool) {
	rest, ok := strings.CutPrefix(id, identityPrefix)
	if !ok {
		return nil, false
	}
	kind, _, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, false
	}
	props, ok := c.kinds[strings.NewReplacer("%2F", "/", "%24", "$", "%25", "%").Replace(kind)]
	return props, ok
}
