// Package mpi is the MPI-3 RMA backend of rma, built only with the build tag
// mpi (go build -tags mpi) against Open MPI, or against MPICH with the tags
// "mpi mpich". It implements rma.World and rma.Window with passive-target
// one-sided operations on windows from MPI_Win_allocate, each locked for its
// whole life with MPI_Win_lock_all(MPI_MODE_NOCHECK).
//
// Every window operation is one call into C that also flushes, so it is
// complete when it returns, as the rma.Window contract requires. MPI errors
// are returned (MPI_ERRORS_RETURN) as *Error, naming the failing call.
//
// docs/running-with-mpi.md says how to run: which one-sided component to
// use, the mpirun flags, and running across machines.
package mpi
