// Package local is the in-process backend of rma: N ranks as goroutines of
// one process, sharing windows. It is rmactor's embedded default: every test
// and the quick start run on it, with no MPI installed.
//
// It is faithful to RMA: ranks share nothing but what Allocate returns, and
// data moves between ranks only through Window operations. Atomic operations
// are Go's sync/atomic on the shared memory; Put and Get copy bytes; every
// operation is complete when it returns.
package local
