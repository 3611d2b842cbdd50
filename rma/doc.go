// Package rma is rmactor's one-sided communication layer and the home of the
// RemoteChannel.
//
// A [World] is a group of ranks that run the same program (SPMD). Ranks share
// memory only through [Window]s: every rank contributes a segment to a window
// when it is allocated collectively, and any rank may then read, write and
// update any segment with one-sided operations (atomic fetch-and-add,
// compare-and-swap, atomic load and store, put, get). Backends implement World
// and Window: rma/local runs N ranks in one process (the embedded default),
// rma/mpi runs them as an MPI job over MPI-3 RMA.
//
// [Channel] is the RemoteChannel: a bounded, lock-free, many-producer
// many-consumer FIFO that lives in one owner rank's window and is used through
// one-sided operations only. It keeps the API of the Python package
// mpi-channels (Put, PutF, Take, TakeF, Claim): Take reports [ErrNoMore] once
// as many messages were taken as were claimed. docs/protocol.md describes the
// ring layout and argues why no message is lost or duplicated.
package rma
