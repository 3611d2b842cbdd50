/*
 * indexgather: the C reference for the bale index-gather kernel
 * (apps/indexgather, docs/benchmarks.md). Every rank reads -n random
 * entries of a table of -t entries per rank spread over all ranks; entry g
 * holds 3g+1, and every value read is checked.
 *
 *   agg   requests (8-byte local indices) go into a buffer per owner of
 *         -b items, sent with MPI_Isend when full; the owner answers each
 *         buffer with one buffer of values, in order; reads of this rank's
 *         own entries are served at once. An empty request buffer ends a
 *         rank's requests to an owner.
 *   get   one MPI_Get per read from a window holding the table, under one
 *         MPI_Win_lock_all epoch, flushed every -b reads (so -b reads are
 *         outstanding, as the agg buffers hold).
 *
 *   mpicc -O2 -o indexgather bench/bale/indexgather.c
 *   mpirun -n 2 ./indexgather -m agg -n 10000000
 *
 * Output: one line, "c-indexgather mode=agg ranks=2 reads=... seconds=...
 * reads/s-per-rank=...".
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { TAG_REQ = 11, TAG_REP = 12 };

static uint64_t next(uint64_t *s) { /* xorshift64* */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ULL;
}

static int64_t value(uint64_t g) { return (int64_t)(3 * g + 1); }

/* A buffer of requests to one owner, and the FIFO of the global indices
 * of the requests sent to it and not yet answered (answers come back in
 * order: one tag, one sender). */
typedef struct {
	int64_t *buf[2]; /* one fills while the other's send completes */
	int fill, n;
	MPI_Request sreq[2];
	uint64_t *fifo;
	long head, tail, cap;
} owner;

static int rank, size, bsize;
static long entries;
static int64_t *table, *rbuf;
static int ends;
static long answered, bad;
static owner *own;
static MPI_Request *reply_req; /* one answer in flight per requester */
static int64_t **reply_buf;

/* progress serves requests that arrived and takes answers that arrived. */
static void progress(void) {
	for (;;) {
		int flag;
		MPI_Status st;
		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
		if (!flag) return;
		int count, src = st.MPI_SOURCE;
		MPI_Get_count(&st, MPI_INT64_T, &count);
		MPI_Recv(rbuf, bsize, MPI_INT64_T, src, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		if (st.MPI_TAG == TAG_REQ) {
			if (count == 0) {
				ends++;
				continue;
			}
			MPI_Wait(&reply_req[src], MPI_STATUS_IGNORE);
			for (int i = 0; i < count; i++) reply_buf[src][i] = table[rbuf[i]];
			MPI_Isend(reply_buf[src], count, MPI_INT64_T, src, TAG_REP, MPI_COMM_WORLD, &reply_req[src]);
		} else {
			owner *o = &own[src];
			for (int i = 0; i < count; i++) {
				uint64_t g = o->fifo[o->head++ % o->cap];
				if (rbuf[i] != value(g)) bad++;
			}
			answered += count;
		}
	}
}

/* flush_owner sends the filling request buffer to dest, first waiting
 * (and serving, so that no two ranks wait on each other) for the send that
 * last used the other buffer. */
static void flush_owner(int dest) {
	owner *o = &own[dest];
	int other = 1 - o->fill;
	for (;;) {
		int done;
		MPI_Test(&o->sreq[other], &done, MPI_STATUS_IGNORE);
		if (done) break;
		progress();
	}
	MPI_Isend(o->buf[o->fill], o->n, MPI_INT64_T, dest, TAG_REQ, MPI_COMM_WORLD, &o->sreq[o->fill]);
	o->fill = other;
	o->n = 0;
}

int main(int argc, char **argv) {
	int provided;
	MPI_Init_thread(&argc, &argv, MPI_THREAD_SINGLE, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	long reads = 1000000;
	entries = 100000;
	bsize = 1024;
	const char *mode = "agg";
	int c;
	while ((c = getopt(argc, argv, "n:t:b:m:")) != -1) {
		switch (c) {
		case 'n': reads = atol(optarg); break;
		case 't': entries = atol(optarg); break;
		case 'b': bsize = atoi(optarg); break;
		case 'm': mode = optarg; break;
		default:
			if (rank == 0) fprintf(stderr, "usage: indexgather [-m agg|get] [-n reads] [-t entries per rank] [-b buffer items]\n");
			MPI_Abort(MPI_COMM_WORLD, 2);
		}
	}
	if (reads < 1 || entries < 1 || bsize < 1 || (strcmp(mode, "agg") && strcmp(mode, "get"))) {
		if (rank == 0) fprintf(stderr, "indexgather: bad arguments\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	uint64_t total = (uint64_t)entries * (uint64_t)size;
	uint64_t seed = 0xD1B54A32D192ED03ULL * (uint64_t)(rank + 1);
	MPI_Win win = MPI_WIN_NULL;
	if (!strcmp(mode, "get")) {
		MPI_Win_allocate(entries * sizeof(int64_t), sizeof(int64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &table, &win);
	} else {
		table = malloc(entries * sizeof(int64_t));
	}
	for (long i = 0; i < entries; i++) table[i] = value((uint64_t)rank * entries + i);
	{
		/* Warm up: a full buffer to every rank and back, so that no
		 * connection is set up inside the timed part. */
		int64_t *a = calloc((size_t)bsize * size, sizeof(int64_t)), *b = calloc((size_t)bsize * size, sizeof(int64_t));
		MPI_Alltoall(a, bsize, MPI_INT64_T, b, bsize, MPI_INT64_T, MPI_COMM_WORLD);
		free(a);
		free(b);
	}
	MPI_Barrier(MPI_COMM_WORLD);
	double t0 = MPI_Wtime();
	if (win != MPI_WIN_NULL) {
		MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
		int64_t *got = malloc(bsize * sizeof(int64_t));
		uint64_t *want = malloc(bsize * sizeof(uint64_t));
		for (long i = 0; i < reads; i += bsize) {
			int k = (int)((reads - i < bsize) ? reads - i : bsize);
			for (int j = 0; j < k; j++) {
				uint64_t g = next(&seed) % total;
				want[j] = g;
				MPI_Get(&got[j], 1, MPI_INT64_T, (int)(g / entries), (MPI_Aint)(g % entries), 1, MPI_INT64_T, win);
			}
			MPI_Win_flush_all(win);
			for (int j = 0; j < k; j++)
				if (got[j] != value(want[j])) bad++;
		}
		MPI_Win_unlock_all(win);
		MPI_Barrier(MPI_COMM_WORLD);
	} else {
		rbuf = malloc(bsize * sizeof(int64_t));
		own = calloc(size, sizeof(owner));
		reply_req = malloc(size * sizeof(MPI_Request));
		reply_buf = malloc(size * sizeof(int64_t *));
		long cap = 4L * bsize + 16;
		for (int d = 0; d < size; d++) {
			own[d].buf[0] = malloc(bsize * sizeof(int64_t));
			own[d].buf[1] = malloc(bsize * sizeof(int64_t));
			own[d].sreq[0] = own[d].sreq[1] = MPI_REQUEST_NULL;
			own[d].fifo = malloc(cap * sizeof(uint64_t));
			own[d].cap = cap;
			reply_req[d] = MPI_REQUEST_NULL;
			reply_buf[d] = malloc(bsize * sizeof(int64_t));
		}
		long local = 0;
		for (long i = 0; i < reads; i++) {
			uint64_t g = next(&seed) % total;
			int dest = (int)(g / entries);
			if (dest == rank) {
				if (table[g % entries] != value(g)) bad++;
				local++;
				continue;
			}
			owner *o = &own[dest];
			while (o->tail - o->head >= o->cap - 1) progress(); /* answers owed: wait for room */
			o->fifo[o->tail++ % o->cap] = g;
			o->buf[o->fill][o->n++] = (int64_t)(g % entries);
			if (o->n == bsize) flush_owner(dest);
			if ((i & 1023) == 0) progress();
		}
		for (int d = 0; d < size; d++) {
			if (d == rank) continue;
			if (own[d].n > 0) flush_owner(d);
			flush_owner(d); /* n == 0: the end */
		}
		while (answered + local < reads || ends < size - 1) progress();
		for (int d = 0; d < size; d++) {
			MPI_Waitall(2, own[d].sreq, MPI_STATUSES_IGNORE);
			MPI_Wait(&reply_req[d], MPI_STATUS_IGNORE);
		}
	}
	double t1 = MPI_Wtime();
	double secs, mine = t1 - t0;
	MPI_Allreduce(&mine, &secs, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
	long allbad = 0;
	MPI_Reduce(&bad, &allbad, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0) {
		if (allbad != 0) {
			fprintf(stderr, "c-indexgather: %ld wrong values\n", allbad);
			MPI_Abort(MPI_COMM_WORLD, 1);
		}
		printf("c-indexgather mode=%s ranks=%d reads=%ld entries=%ld buffer=%d seconds=%.3f reads/s-per-rank=%.0f\n",
		       mode, size, reads, entries, bsize, secs, reads / secs);
	}
	if (win != MPI_WIN_NULL) MPI_Win_free(&win);
	MPI_Finalize();
	return 0;
}
