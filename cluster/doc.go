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
package cluster
