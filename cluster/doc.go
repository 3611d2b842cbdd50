// Package cluster turns the actor runtime into a job: one call starts the
// world (an MPI job in a -tags mpi build under mpirun, otherwise in-process
// ranks) with an actor system on every rank, runs the program, and shuts it
// all down, returning the first error with the rank it came from.
//
// Actor kinds are registered once, the same on every rank, and spawned on a
// given rank, on every rank, or on the rank a key hashes to. Named actors
// (virtual actors) are identities (kind, name) that live on the rank their
// identity hashes to, are activated by their first message, and resolve
// from any rank with no lookup. Collectives (barrier, broadcast from rank 0,
// gather and reduce to rank 0) cover what SPMD programs need around the
// actors.
//
// Broadcast, Gather and Reduce carry any value the job's codec encodes,
// without registration for the common ones: protobuf messages; the codec's
// built-in Go types (bool, string, []byte, the integer and float types, a
// slice of each, a map from string to each, and a few integer-keyed maps:
// see codec.BuiltinNames); and the Go types registered in Config.Types. A
// value may be of any size up to the transport's maximum message
// (actor.WithMaxMessageBytes, 256 MiB by default, passed in Config.System
// with actor.WithMaxMessageBytes): encoded, that is about 29 million float64s
// (9 bytes each) or a string of nearly 256 MiB. A larger value fails with
// actor.ErrMessageTooLarge on the rank that sends it.
package cluster
