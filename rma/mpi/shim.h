// C helpers for rma/mpi. Each window operation and its completion (flush)
// happen in one call, so one enqueue costs one crossing from Go. Every
// function returns an MPI error code and, on failure, names the failing MPI
// call through *call.
#ifndef RMACTOR_SHIM_H
#define RMACTOR_SHIM_H

#include <mpi.h>
#include <pthread.h>
#include <time.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
	RM_CALL_NONE = 0,
	RM_CALL_INIT_THREAD,
	RM_CALL_COMM_SET_ERRHANDLER,
	RM_CALL_COMM_RANK,
	RM_CALL_COMM_SIZE,
	RM_CALL_IBARRIER,
	RM_CALL_TEST,
	RM_CALL_WIN_ALLOCATE,
	RM_CALL_WIN_SET_ERRHANDLER,
	RM_CALL_WIN_LOCK_ALL,
	RM_CALL_WIN_GET_ATTR,
	RM_CALL_ALLGATHER,
	RM_CALL_FETCH_AND_OP,
	RM_CALL_COMPARE_AND_SWAP,
	RM_CALL_ACCUMULATE,
	RM_CALL_PUT,
	RM_CALL_GET,
	RM_CALL_WIN_FLUSH,
	RM_CALL_WIN_SYNC,
	RM_CALL_IPROBE,
	RM_CALL_WIN_UNLOCK_ALL,
	RM_CALL_WIN_FREE,
	RM_CALL_FINALIZE,
	RM_CALL_INFO,
	RM_CALL_COMM_SPLIT_TYPE,
	RM_CALL_WIN_ALLOCATE_SHARED,
	RM_CALL_WIN_SHARED_QUERY,
	RM_CALL_COMM_DUP,
	RM_CALL_COMM_FREE,
	RM_CALL_ISEND,
	RM_CALL_IMPROBE,
	RM_CALL_GET_COUNT,
	RM_CALL_MRECV,
};

#define RM_CHECK(expr, which) do { int rc_ = (expr); if (rc_ != MPI_SUCCESS) { *call = (which); return rc_; } } while (0)

// rm_init returns 1 in *state if MPI was already initialised and 2 if it was
// already finalised, without touching MPI further.
static inline int rm_init(int *provided, int *rank, int *size, int *state, int *call) {
	int initialized = 0, finalized = 0;
	MPI_Finalized(&finalized);
	if (finalized) { *state = 2; return MPI_SUCCESS; }
	MPI_Initialized(&initialized);
	if (initialized) { *state = 1; return MPI_SUCCESS; }
	*state = 0;
	RM_CHECK(MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, provided), RM_CALL_INIT_THREAD);
	RM_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), RM_CALL_COMM_SET_ERRHANDLER);
	RM_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, rank), RM_CALL_COMM_RANK);
	RM_CHECK(MPI_Comm_size(MPI_COMM_WORLD, size), RM_CALL_COMM_SIZE);
	return MPI_SUCCESS;
}

static inline int rm_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }

static inline int rm_finalize(int *call) {
	RM_CHECK(MPI_Finalize(), RM_CALL_FINALIZE);
	return MPI_SUCCESS;
}

static inline void rm_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

static inline void rm_error_string(int code, char *buf, int *len) {
	if (MPI_Error_string(code, buf, len) != MPI_SUCCESS) {
		*len = 0;
	}
}

// Barrier without blocking a thread: start it, then poll it from Go.
static inline int rm_ibarrier(MPI_Request *req, int *call) {
	RM_CHECK(MPI_Ibarrier(MPI_COMM_WORLD, req), RM_CALL_IBARRIER);
	return MPI_SUCCESS;
}

static inline int rm_test(MPI_Request *req, int *done, int *call) {
	RM_CHECK(MPI_Test(req, done, MPI_STATUS_IGNORE), RM_CALL_TEST);
	return MPI_SUCCESS;
}

// Two-sided messages (messages.go) travel on a communicator of their own.
static inline int rm_comm_dup(MPI_Comm *comm, int *call) {
	RM_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, comm), RM_CALL_COMM_DUP);
	RM_CHECK(MPI_Comm_set_errhandler(*comm, MPI_ERRORS_RETURN), RM_CALL_COMM_SET_ERRHANDLER);
	return MPI_SUCCESS;
}

static inline int rm_comm_free(MPI_Comm *comm, int *call) {
	RM_CHECK(MPI_Comm_free(comm), RM_CALL_COMM_FREE);
	return MPI_SUCCESS;
}

static inline int rm_isend(MPI_Comm comm, int dest, int tag, const void *buf, int n, MPI_Request *req, int *call) {
	RM_CHECK(MPI_Isend(buf, n, MPI_BYTE, dest, tag, comm, req), RM_CALL_ISEND);
	return MPI_SUCCESS;
}

// rm_improbe matches the next message with tag from any rank, if one
// arrived, and gives its source and size; the caller must then receive it
// (rm_mrecv).
static inline int rm_improbe(MPI_Comm comm, int tag, int *found, int *src, int *n, MPI_Message *msg, int *call) {
	MPI_Status st;
	RM_CHECK(MPI_Improbe(MPI_ANY_SOURCE, tag, comm, found, msg, &st), RM_CALL_IMPROBE);
	if (!*found) {
		return MPI_SUCCESS;
	}
	*src = st.MPI_SOURCE;
	RM_CHECK(MPI_Get_count(&st, MPI_BYTE, n), RM_CALL_GET_COUNT);
	return MPI_SUCCESS;
}

static inline int rm_mrecv(void *buf, int n, MPI_Message *msg, int *call) {
	RM_CHECK(MPI_Mrecv(buf, n, MPI_BYTE, msg, MPI_STATUS_IGNORE), RM_CALL_MRECV);
	return MPI_SUCCESS;
}

// Allocate a window, open a passive-target epoch to every rank for its whole
// life, zero the local segment, and gather every rank's segment size.
static inline int rm_win_allocate(int64_t size, MPI_Win *win, void **base, int64_t *sizes, int *unified, int *call) {
	MPI_Info info;
	RM_CHECK(MPI_Info_create(&info), RM_CALL_INFO);
	// The default ordering, made explicit: same-origin accumulates to one
	// target are applied in order (the ring's commit relies on it).
	MPI_Info_set(info, "accumulate_ordering", "rar,raw,war,waw");
	// Page-aligned segments: MPICH 4.0.2 with UCX >= 1.13 addresses a
	// segment that does not start on a 16-byte boundary up to 15 bytes too
	// low (fixed in MPICH 4.0.3, pmodels/mpich#6140).
	MPI_Info_set(info, "alloc_shared_noncontig", "true");
	int rc = MPI_Win_allocate((MPI_Aint)size, 1, info, MPI_COMM_WORLD, base, win);
	MPI_Info_free(&info);
	if (rc != MPI_SUCCESS) { *call = RM_CALL_WIN_ALLOCATE; return rc; }
	RM_CHECK(MPI_Win_set_errhandler(*win, MPI_ERRORS_RETURN), RM_CALL_WIN_SET_ERRHANDLER);
	if (size > 0) {
		memset(*base, 0, (size_t)size);
	}
	int *model = NULL, flag = 0;
	RM_CHECK(MPI_Win_get_attr(*win, MPI_WIN_MODEL, &model, &flag), RM_CALL_WIN_GET_ATTR);
	*unified = flag && model && *model == MPI_WIN_UNIFIED;
	RM_CHECK(MPI_Win_lock_all(MPI_MODE_NOCHECK, *win), RM_CALL_WIN_LOCK_ALL);
	RM_CHECK(MPI_Win_sync(*win), RM_CALL_WIN_SYNC);
	// Also a barrier: no rank touches a segment before it is zeroed.
	RM_CHECK(MPI_Allgather(&size, 1, MPI_INT64_T, sizes, 1, MPI_INT64_T, MPI_COMM_WORLD), RM_CALL_ALLGATHER);
	return MPI_SUCCESS;
}

// rm_one_node reports whether every rank of MPI_COMM_WORLD shares this
// node's memory, and how many ranks this node runs. Collective.
static inline int rm_one_node(int *yes, int *local, int *call) {
	MPI_Comm node;
	int nsize = 0, wsize = 0;
	RM_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), RM_CALL_COMM_SPLIT_TYPE);
	MPI_Comm_size(node, &nsize);
	MPI_Comm_size(MPI_COMM_WORLD, &wsize);
	MPI_Comm_free(&node);
	*yes = nsize == wsize;
	*local = nsize;
	return MPI_SUCCESS;
}

// A window in node shared memory: every rank's segment is mapped into every
// process, and bases[r] is rank r's segment in this process.
static inline int rm_win_allocate_shared(int64_t size, MPI_Win *win, void **base, int64_t *sizes, void **bases, int *call) {
	MPI_Info info;
	RM_CHECK(MPI_Info_create(&info), RM_CALL_INFO);
	MPI_Info_set(info, "alloc_shared_noncontig", "true");
	int rc = MPI_Win_allocate_shared((MPI_Aint)size, 1, info, MPI_COMM_WORLD, base, win);
	MPI_Info_free(&info);
	if (rc != MPI_SUCCESS) { *call = RM_CALL_WIN_ALLOCATE_SHARED; return rc; }
	RM_CHECK(MPI_Win_set_errhandler(*win, MPI_ERRORS_RETURN), RM_CALL_WIN_SET_ERRHANDLER);
	if (size > 0) {
		memset(*base, 0, (size_t)size);
	}
	RM_CHECK(MPI_Win_lock_all(MPI_MODE_NOCHECK, *win), RM_CALL_WIN_LOCK_ALL);
	RM_CHECK(MPI_Win_sync(*win), RM_CALL_WIN_SYNC);
	RM_CHECK(MPI_Allgather(&size, 1, MPI_INT64_T, sizes, 1, MPI_INT64_T, MPI_COMM_WORLD), RM_CALL_ALLGATHER);
	int n = 0;
	MPI_Comm_size(MPI_COMM_WORLD, &n);
	for (int r = 0; r < n; r++) {
		MPI_Aint sz = 0;
		int du = 0;
		bases[r] = NULL;
		RM_CHECK(MPI_Win_shared_query(*win, r, &sz, &du, &bases[r]), RM_CALL_WIN_SHARED_QUERY);
	}
	return MPI_SUCCESS;
}

static inline int rm_win_free(MPI_Win *win, int *call) {
	RM_CHECK(MPI_Win_unlock_all(*win), RM_CALL_WIN_UNLOCK_ALL);
	RM_CHECK(MPI_Win_free(win), RM_CALL_WIN_FREE);
	return MPI_SUCCESS;
}

static inline int rm_fetch_add(MPI_Win win, int target, int64_t off, uint64_t delta, uint64_t *old, int *call) {
	RM_CHECK(MPI_Fetch_and_op(&delta, old, MPI_UINT64_T, target, (MPI_Aint)off, MPI_SUM, win), RM_CALL_FETCH_AND_OP);
	RM_CHECK(MPI_Win_flush(target, win), RM_CALL_WIN_FLUSH);
	return MPI_SUCCESS;
}

static inline int rm_cas(MPI_Win win, int target, int64_t off, uint64_t expect, uint64_t desired, uint64_t *prev, int *call) {
	RM_CHECK(MPI_Compare_and_swap(&desired, &expect, prev, MPI_UINT64_T, target, (MPI_Aint)off, win), RM_CALL_COMPARE_AND_SWAP);
	RM_CHECK(MPI_Win_flush(target, win), RM_CALL_WIN_FLUSH);
	return MPI_SUCCESS;
}

static inline int rm_load(MPI_Win win, int target, int64_t off, uint64_t *value, int *call) {
	RM_CHECK(MPI_Fetch_and_op(NULL, value, MPI_UINT64_T, target, (MPI_Aint)off, MPI_NO_OP, win), RM_CALL_FETCH_AND_OP);
	RM_CHECK(MPI_Win_flush(target, win), RM_CALL_WIN_FLUSH);
	return MPI_SUCCESS;
}

static inline int rm_store(MPI_Win win, int target, int64_t off, uint64_t value, int *call) {
	RM_CHECK(MPI_Accumulate(&value, 1, MPI_UINT64_T, target, (MPI_Aint)off, 1, MPI_UINT64_T, MPI_REPLACE, win), RM_CALL_ACCUMULATE);
	RM_CHECK(MPI_Win_flush(target, win), RM_CALL_WIN_FLUSH);
	return MPI_SUCCESS;
}

static inline int rm_put(MPI_Win win, int target, int64_t off, const void *src, int64_t n, int *call) {
	if (n > 0) {
		RM_CHECK(MPI_Put(src, (int)n, MPI_BYTE, target, (MPI_Aint)off, (int)n, MPI_BYTE, win), RM_CALL_PUT);
	}
	RM_CHECK(MPI_Win_flush(target, win), RM_CALL_WIN_FLUSH);
	return MPI_SUCCESS;
}

static inline int rm_get(MPI_Win win, int target, int64_t off, void *dst, int64_t n, int *call) {
	if (n > 0) {
		RM_CHECK(MPI_Get(dst, (int)n, MPI_BYTE, target, (MPI_Aint)off, (int)n, MPI_BYTE, win), RM_CALL_GET);
	}
	RM_CHECK(MPI_Win_flush(target, win), RM_CALL_WIN_FLUSH);
	return MPI_SUCCESS;
}

// Commit: header word and payload, flushed, then the flag. MPI orders
// accumulates only to the same or overlapping locations (MPI-3.1 11.7.2), so
// the data must be complete at the target before the flag is written; the
// flush between them guarantees it. One crossing from Go for all of it.
static inline int rm_publish(MPI_Win win, int target, int64_t off, uint64_t header,
                             const void *payload, int64_t n, int64_t flag_off, uint64_t flag, int *call) {
	RM_CHECK(MPI_Put(&header, 8, MPI_BYTE, target, (MPI_Aint)off, 8, MPI_BYTE, win), RM_CALL_PUT);
	if (n > 0) {
		RM_CHECK(MPI_Put(payload, (int)n, MPI_BYTE, target, (MPI_Aint)(off + 8), (int)n, MPI_BYTE, win), RM_CALL_PUT);
	}
	RM_CHECK(MPI_Win_flush(target, win), RM_CALL_WIN_FLUSH);
	RM_CHECK(MPI_Accumulate(&flag, 1, MPI_UINT64_T, target, (MPI_Aint)flag_off, 1, MPI_UINT64_T, MPI_REPLACE, win), RM_CALL_ACCUMULATE);
	RM_CHECK(MPI_Win_flush(target, win), RM_CALL_WIN_FLUSH);
	return MPI_SUCCESS;
}

static inline int rm_flush(MPI_Win win, int target, int *call) {
	RM_CHECK(MPI_Win_flush(target, win), RM_CALL_WIN_FLUSH);
	return MPI_SUCCESS;
}

// Sync makes the local copy current and gives MPI a chance to progress
// (osc/pt2pt and MPICH need the target to call into MPI).
static inline int rm_sync(MPI_Win win, int *call) {
	int flag = 0;
	RM_CHECK(MPI_Win_sync(win), RM_CALL_WIN_SYNC);
	RM_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE), RM_CALL_IPROBE);
	return MPI_SUCCESS;
}

// Progress thread. One-sided operations over a network (osc ucx over TCP,
// MPICH) complete only while the target rank is inside MPI. A rank's Go
// code enters MPI only when it polls, so a busy or sleeping rank would stall
// every operation aimed at it. This native thread enters MPI (MPI_Iprobe,
// which runs every registered progress engine) every interval_ns
// nanoseconds until stop is set. It is a C thread, not a goroutine: it
// holds no Go scheduler resources while it sleeps, and nanosleep keeps its
// period in microseconds where a Go timer would be a millisecond late.
typedef struct {
	pthread_t thread;
	int stop;
	long interval_ns;
	uint64_t rounds;
} rm_progress;

static void *rm_progress_main(void *arg) {
	rm_progress *p = (rm_progress *)arg;
	struct timespec ts = { p->interval_ns / 1000000000L, p->interval_ns % 1000000000L };
	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		int flag = 0;
		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
		__atomic_add_fetch(&p->rounds, 1, __ATOMIC_RELAXED);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

// rm_progress_start returns a started progress thread, or NULL.
static inline rm_progress *rm_progress_start(long interval_ns) {
	rm_progress *p = (rm_progress *)calloc(1, sizeof *p);
	if (p == NULL) return NULL;
	p->interval_ns = interval_ns;
	if (pthread_create(&p->thread, NULL, rm_progress_main, p) != 0) { free(p); return NULL; }
	return p;
}

static inline uint64_t rm_progress_rounds(rm_progress *p) { return __atomic_load_n(&p->rounds, __ATOMIC_RELAXED); }

// rm_progress_stop stops and frees the thread.
static inline void rm_progress_stop(rm_progress *p) {
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pthread_join(p->thread, NULL);
	free(p);
}

#endif
