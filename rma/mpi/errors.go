//go:build mpi

package mpi

// #include "shim.h"
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// ErrMPI is wrapped by every error an MPI call returns.
var ErrMPI = errors.New("mpi: call failed")

// ErrInitialized reports a second Init in one process: MPI is initialised
// once per process; share the World the first Init returned.
var ErrInitialized = errors.New("mpi: already initialised in this process")

// ErrThreadLevel reports an MPI library without MPI_THREAD_MULTIPLE.
var ErrThreadLevel = errors.New("mpi: MPI_THREAD_MULTIPLE not provided")

// ErrFinalizeTimeout reports an MPI_Finalize that did not return in time
// (World.Close).
var ErrFinalizeTimeout = errors.New("mpi: finalize timed out")

// Error is a failed MPI call.
type Error struct {
	Call string // the MPI function, e.g. "MPI_Compare_and_swap"
	Code int    // the MPI error code
	Msg  string // MPI_Error_string's text
}

func (e *Error) Error() string { return fmt.Sprintf("mpi: %s: %s (code %d)", e.Call, e.Msg, e.Code) }

// Unwrap lets errors.Is(err, ErrMPI) match.
func (e *Error) Unwrap() error { return ErrMPI }

var callNames = map[C.int]string{
	C.RM_CALL_INIT_THREAD:         "MPI_Init_thread",
	C.RM_CALL_COMM_SET_ERRHANDLER: "MPI_Comm_set_errhandler",
	C.RM_CALL_COMM_RANK:           "MPI_Comm_rank",
	C.RM_CALL_COMM_SIZE:           "MPI_Comm_size",
	C.RM_CALL_IBARRIER:            "MPI_Ibarrier",
	C.RM_CALL_TEST:                "MPI_Test",
	C.RM_CALL_WIN_ALLOCATE:        "MPI_Win_allocate",
	C.RM_CALL_WIN_SET_ERRHANDLER:  "MPI_Win_set_errhandler",
	C.RM_CALL_WIN_LOCK_ALL:        "MPI_Win_lock_all",
	C.RM_CALL_WIN_GET_ATTR:        "MPI_Win_get_attr",
	C.RM_CALL_ALLGATHER:           "MPI_Allgather",
	C.RM_CALL_FETCH_AND_OP:        "MPI_Fetch_and_op",
	C.RM_CALL_COMPARE_AND_SWAP:    "MPI_Compare_and_swap",
	C.RM_CALL_ACCUMULATE:          "MPI_Accumulate",
	C.RM_CALL_PUT:                 "MPI_Put",
	C.RM_CALL_GET:                 "MPI_Get",
	C.RM_CALL_WIN_FLUSH:           "MPI_Win_flush",
	C.RM_CALL_WIN_SYNC:            "MPI_Win_sync",
	C.RM_CALL_IPROBE:              "MPI_Iprobe",
	C.RM_CALL_WIN_UNLOCK_ALL:      "MPI_Win_unlock_all",
	C.RM_CALL_WIN_FREE:            "MPI_Win_free",
	C.RM_CALL_FINALIZE:            "MPI_Finalize",
	C.RM_CALL_INFO:                "MPI_Info_create",
	C.RM_CALL_COMM_SPLIT_TYPE:     "MPI_Comm_split_type",
	C.RM_CALL_WIN_ALLOCATE_SHARED: "MPI_Win_allocate_shared",
	C.RM_CALL_WIN_SHARED_QUERY:    "MPI_Win_shared_query",
	C.RM_CALL_COMM_DUP:            "MPI_Comm_dup",
	C.RM_CALL_COMM_FREE:           "MPI_Comm_free",
	C.RM_CALL_ISEND:               "MPI_Isend",
	C.RM_CALL_IMPROBE:             "MPI_Improbe",
	C.RM_CALL_GET_COUNT:           "MPI_Get_count",
	C.RM_CALL_MRECV:               "MPI_Mrecv",
}

// mpiError turns a C helper's result into a Go error (nil on success).
func mpiError(rc, call C.int) error {
	if rc == C.MPI_SUCCESS {
		return nil
	}
	var buf [C.MPI_MAX_ERROR_STRING + 1]C.char
	var n C.int
	C.rm_error_string(rc, &buf[0], &n)
	name, ok := callNames[call]
	if !ok {
		name = fmt.Sprintf("MPI call %d", int(call))
	}
	return &Error{Call: name, Code: int(rc), Msg: C.GoStringN((*C.char)(unsafe.Pointer(&buf[0])), n)}
}
