//go:build mpi

package mpi

// #include "shim.h"
import "C"

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rmactor/rmactor/rma"
)

// World is this process's rank of the MPI job (MPI_COMM_WORLD). MPI can be
// initialised once per process: the first Init returns the World, a second
// one fails with ErrInitialized, and one after Close with rma.ErrClosed.
type World struct {
	rank, size int
	shared     bool        // windows live in node shared memory (see Init)
	nodeRanks  int         // ranks on this node
	thread     chan func() // runs functions on the OS thread that called MPI_Init
	closed     atomic.Bool
	closeOnce  sync.Once
	closeErr   error
	presence   rma.Window     // one word per rank: 1 once it has left (Departed)
	progress   *C.rm_progress // the progress thread (progress.go), or nil
	pending    sync.Map       // *sending → struct{}: sends not yet completed (messages.go)
}

var _ rma.World = (*World)(nil)

// Init initialises MPI with MPI_THREAD_MULTIPLE on a dedicated, locked OS
// thread (MPI_Finalize later runs on the same thread). Started by mpirun, the
// world is the job; started directly, it is a single rank (MPI singleton).
//
// When every rank is on one node, windows are allocated in node shared
// memory (MPI_Win_allocate_shared) and window operations are CPU atomics and
// copies on it, with no MPI call; otherwise, or with RMACTOR_MPI_SHM=off, they
// are MPI one-sided operations. SharedMemory tells which.
//
// Unless the user chose a one-sided component (mpirun --mca osc …, or
// OMPI_MCA_osc), Init makes Open MPI choose among sm and ucx: the default
// osc/rdma crashes in MPI_Compare_and_swap (open-mpi issues 9146, 11349).
func Init() (*World, error) {
	if err := chooseOSC(); err != nil {
		return nil, err
	}
	w := &World{thread: make(chan func())}
	type result struct {
		provided, rank, size, state C.int
		err                         error
	}
	res := make(chan result)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with MPI
		var r result
		var call C.int
		rc := C.rm_init(&r.provided, &r.rank, &r.size, &r.state, &call)
		r.err = mpiError(rc, call)
		switch r.state {
		case 1:
			r.err = ErrInitialized
		case 2:
			r.err = fmt.Errorf("mpi: init after MPI_Finalize: %w", rma.ErrClosed)
		}
		res <- r
		for f := range w.thread {
			f()
		}
	}()
	r := <-res
	if r.err != nil {
		close(w.thread)
		return nil, r.err
	}
	if r.provided < C.rm_thread_multiple() {
		w.onThread(func() { var call C.int; C.rm_finalize(&call) })
		close(w.thread)
		return nil, fmt.Errorf("%w: the library provides thread level %d", ErrThreadLevel, int(r.provided))
	}
	w.rank, w.size = int(r.rank), int(r.size)
	var oneNode, local, call C.int
	if err := mpiError(C.rm_one_node(&oneNode, &local, &call), call); err != nil {
		return nil, err
	}
	w.shared = oneNode != 0 && os.Getenv("RMACTOR_MPI_SHM") != "off"
	w.nodeRanks = max(int(local), 1)
	shareCores(w.nodeRanks)
	var err error
	if err = w.startProgress(); err != nil {
		return nil, err
	}
	if w.presence, err = w.Allocate(context.Background(), 8); err != nil {
		return nil, fmt.Errorf("mpi: presence window: %w", err)
	}
	return w, nil
}

// Departed reports whether rank k has closed its world (rma.Departures):
// Close marks this rank's word before MPI_Finalize, which waits for the
// other ranks, so a rank waiting on one that left can tell.
func (w *World) Departed(k int) bool {
	if k < 0 || k >= w.size || w.closed.Load() {
		return false
	}
	v, err := w.presence.Load(k, 0)
	return err == nil && v != 0
}

func (w *World) onThread(f func()) {
	done := make(chan struct{})
	w.thread <- func() { f(); close(done) }
	<-done
}

// NodeRanks is the number of ranks running on this rank's node.
func (w *World) NodeRanks() int { return w.nodeRanks }

// shareCores gives each of the node's ranks its share of the cores as Go
// threads (GOMAXPROCS), unless the user set GOMAXPROCS. Go's default, every
// core for every process, puts several hot threads per core when ranks
// share a node: measured with 2 ranks on 2 cores, actor throughput rose from
// 0.96 M to 1.4 M messages/s and round-trip p99 fell from 146 to 79 µs with
// one thread each.
func shareCores(nodeRanks int) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(max(1, runtime.NumCPU()/nodeRanks))
}

// SharedMemory reports whether this world's windows live in node shared
// memory, accessed without MPI calls.
func (w *World) SharedMemory() bool { return w.shared }

// Rank is this process's rank in MPI_COMM_WORLD.
func (w *World) Rank() int { return w.rank }

// Size is the number of ranks in the job.
func (w *World) Size() int { return w.size }

// Barrier is MPI_Ibarrier polled with back-off, so it honours ctx and
// gives MPI progress while it waits. A barrier abandoned because ctx ended
// leaves the world unusable for further collective calls.
func (w *World) Barrier(ctx context.Context) error {
	if w.closed.Load() {
		return fmt.Errorf("mpi: barrier: %w", rma.ErrClosed)
	}
	req := (*C.MPI_Request)(C.malloc(C.sizeof_MPI_Request))
	defer C.free(unsafe.Pointer(req))
	var call C.int
	if err := mpiError(C.rm_ibarrier(req, &call), call); err != nil {
		return err
	}
	return poll(ctx, "barrier", func() (bool, error) {
		var done C.int
		err := mpiError(C.rm_test(req, &done, &call), call)
		return done != 0, err
	})
}

// poll calls test until it reports done, spinning briefly, then yielding,
// then sleeping up to 50µs between calls.
func poll(ctx context.Context, op string, test func() (bool, error)) error {
	sleep := time.Microsecond
	for i := 0; ; i++ {
		done, err := test()
		if err != nil || done {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("mpi: %s: %w", op, err)
		}
		switch {
		case i < 64:
		case i < 256:
			runtime.Gosched()
		default:
			time.Sleep(sleep)
			sleep = min(2*sleep, 50*time.Microsecond)
		}
	}
}

// Allocate is collective: a ctx-aware barrier first (so that no rank blocks
// inside MPI_Win_allocate waiting for a rank that never comes), then
// MPI_Win_allocate of size bytes on this rank.
func (w *World) Allocate(ctx context.Context, size int) (rma.Window, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: window segment of %d bytes", rma.ErrInvalidArgument, size)
	}
	if err := w.Barrier(ctx); err != nil {
		return nil, fmt.Errorf("mpi: allocate: %w", err)
	}
	if w.shared {
		return w.allocateShared(size)
	}
	sizes := make([]int64, w.size)
	win := &window{world: w, rank: w.rank}
	var (
		base    unsafe.Pointer
		unified C.int
		call    C.int
	)
	rc := C.rm_win_allocate(C.int64_t(size), &win.win, &base, (*C.int64_t)(unsafe.Pointer(&sizes[0])), &unified, &call)
	if err := mpiError(rc, call); err != nil {
		return nil, err
	}
	win.sizes = make([]int, w.size)
	for i, s := range sizes {
		win.sizes[i] = int(s)
	}
	win.unified = unified != 0
	if size > 0 {
		win.local = unsafe.Slice((*byte)(base), size)
	}
	return win, nil
}

// Close finalises MPI. Later calls return rma.ErrClosed. If MPI_Finalize
// has not returned after RMACTOR_MPI_FINALIZE_TIMEOUT (default 60 s; 0
// waits for ever), Close gives up on it with ErrFinalizeTimeout: by then
// every window is freed and every channel drained, so the job's work is
// done, and what is stuck is the MPI library's own teardown (MPICH over
// UCX on TCP sometimes spins for ever closing its endpoints). The caller
// should then end the process.
func (w *World) Close() error {
	if w.closed.Load() {
		return fmt.Errorf("mpi: close: %w", rma.ErrClosed)
	}
	// Mark this rank as gone, then free the presence window: freeing is
	// collective, so this waits for the other ranks as MPI_Finalize would,
	// and they can see the mark meanwhile (MPICH over UCX aborts in
	// MPI_Finalize if a window is still allocated).
	_ = w.presence.Store(w.rank, 0, 1)
	_ = w.presence.Free(context.Background())
	if w.closed.Swap(true) {
		return fmt.Errorf("mpi: close: %w", rma.ErrClosed)
	}
	w.closeOnce.Do(func() {
		if n := w.PendingSends(); n > 0 {
			// MPI_Finalize may wait for them forever (MPICH does): say
			// why, should it hang.
			fmt.Fprintf(os.Stderr, "rmactor: rank %d: %d message send(s) never completed at MPI_Finalize (a channel not closed, or a peer that stopped receiving)\n", w.rank, n)
		}
		w.stopProgress()
		limit, err := finalizeTimeout()
		if err != nil {
			fmt.Fprintf(os.Stderr, "rmactor: rank %d: %v; waiting for MPI_Finalize without a limit\n", w.rank, err)
		}
		done := make(chan error, 1)
		w.thread <- func() {
			var call C.int
			done <- mpiError(C.rm_finalize(&call), call)
		}
		var expired <-chan time.Time
		if limit > 0 {
			t := time.NewTimer(limit)
			defer t.Stop()
			expired = t.C
		}
		select {
		case w.closeErr = <-done:
		case <-expired:
			// The MPI thread is stuck in MPI_Finalize, and with it the
			// sends' buffers: leave both; the process is ending.
			w.closeErr = fmt.Errorf("%w: MPI_Finalize did not return within %v (RMACTOR_MPI_FINALIZE_TIMEOUT)", ErrFinalizeTimeout, limit)
			return
		}
		close(w.thread)
		// MPI reads no buffer any more: unpin the sends never completed.
		w.pending.Range(func(k, _ any) bool {
			k.(*sending).pin.Unpin()
			w.pending.Delete(k)
			return true
		})
	})
	return w.closeErr
}

// DefaultFinalizeTimeout is how long Close waits for MPI_Finalize unless
// RMACTOR_MPI_FINALIZE_TIMEOUT says otherwise.
const DefaultFinalizeTimeout = time.Minute

// finalizeTimeout reads RMACTOR_MPI_FINALIZE_TIMEOUT (a Go duration; 0
// for no limit).
func finalizeTimeout() (time.Duration, error) {
	v := os.Getenv("RMACTOR_MPI_FINALIZE_TIMEOUT")
	if v == "" {
		return DefaultFinalizeTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%w: RMACTOR_MPI_FINALIZE_TIMEOUT=%q is not a duration of 0 or more", rma.ErrInvalidArgument, v)
	}
	return d, nil
}

// Abort ends the whole job with MPI_Abort: every rank exits with code.
func (w *World) Abort(code int) {
	C.rm_abort(C.int(code))
	os.Exit(code) // not reached: MPI_Abort does not return
}

// Run runs fn on this rank. If fn fails or panics, it prints the error,
// naming the rank, to stderr and aborts the whole job with exit code 1, so a
// failing rank never leaves the others hanging.
func (w *World) Run(ctx context.Context, fn rma.Program) {
	if err := runGuarded(ctx, w, fn); err != nil {
		w.Fail(err)
	}
}

// Fail reports err as this rank's failure and aborts the job.
func (w *World) Fail(err error) {
	fmt.Fprintf(os.Stderr, "rmactor: %v\n", rma.OnRank(w.rank, err))
	w.Abort(1)
}

func runGuarded(ctx context.Context, w *World, fn rma.Program) (err error) {
	defer func() {
		if p := recover(); p != nil {
			buf := make([]byte, 16<<10)
			buf = buf[:runtime.Stack(buf, false)]
			err = fmt.Errorf("panic: %v\n%s", p, buf)
		}
	}()
	return fn(ctx, w)
}

// RunGuarded runs fn on this rank and returns its error, a panic turned
// into an error; it does not abort. Test launchers use it to let some
// errors (a skipped case) through.
func (w *World) RunGuarded(ctx context.Context, fn rma.Program) error {
	return runGuarded(ctx, w, fn)
}

// SafeOSC is the one-sided component list Init gives Open MPI when the user
// chose none: shared memory on one node, UCX across nodes.
const SafeOSC = "sm,ucx"

func chooseOSC() error {
	v, set := os.LookupEnv("OMPI_MCA_osc")
	if !set {
		return os.Setenv("OMPI_MCA_osc", SafeOSC)
	}
	if strings.Contains(v, "rdma") && !strings.HasPrefix(v, "^") {
		fmt.Fprintf(os.Stderr, "rmactor: warning: OMPI_MCA_osc=%s: osc/rdma crashes in MPI_Compare_and_swap "+
			"with Open MPI 4.1 (issues 9146, 11349); use --mca osc sm (one node) or ucx\n", v)
	}
	return nil
}

// Running reports whether this process was started by an MPI launcher
// (mpirun, mpiexec, srun) rather than directly.
func Running() bool {
	for _, v := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}
