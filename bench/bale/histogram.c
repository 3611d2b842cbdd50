/*
 * histogram: the C reference for the bale histogram kernel (apps/histogram,
 * docs/benchmarks.md). Every rank makes -n updates, each adding 1 to a
 * random entry of a table of -t entries per rank spread over all ranks;
 * the table's sum is checked at the end.
 *
 *   agg   updates go into a buffer per destination rank of -b 8-byte
 *         indices; a full buffer is sent with MPI_Isend (two per
 *         destination, so one can fill while the other flies); the owner
 *         applies what it receives; updates for this rank are applied at
 *         once. An empty message ends each sender's stream.
 *   acc   one MPI_Accumulate(MPI_SUM) per update into a window holding
 *         the table, under one MPI_Win_lock_all epoch, flushed at the end.
 *
 *   mpicc -O2 -o histogram bench/bale/histogram.c
 *   mpirun -n 2 ./histogram -m agg -n 10000000
 *
 * Output: one line, "c-histogram mode=agg ranks=2 updates=... seconds=...
 * updates/s-per-rank=...".
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { TAG = 7 };

static uint64_t next(uint64_t *s) { /* xorshift64* */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ULL;
}

typedef struct {
	int64_t *buf[2];
	int fill;   /* which buffer is filling */
	int n;      /* items in it */
	MPI_Request req[2];
} outbox;

static int64_t *table;
static int64_t tsize;
static int ends;

/* drain applies every message that has arrived; empty ones are ends. */
static void drain(int64_t *rbuf, int bsize) {
	for (;;) {
		int flag;
		MPI_Status st;
		MPI_Iprobe(MPI_ANY_SOURCE, TAG, MPI_COMM_WORLD, &flag, &st);
		if (!flag) return;
		int count;
		MPI_Get_count(&st, MPI_INT64_T, &count);
		MPI_Recv(rbuf, bsize, MPI_INT64_T, st.MPI_SOURCE, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		if (count == 0) {
			ends++;
			continue;
		}
		for (int i = 0; i < count; i++) table[rbuf[i]]++;
	}
}

/* ship sends the filling buffer of o to dest, first waiting (and
 * draining, so that no two ranks wait on each other) for the send that
 * last used the other buffer. */
static void ship(outbox *o, int dest, int64_t *rbuf, int bsize) {
	int other = 1 - o->fill;
	for (;;) {
		int done;
		MPI_Test(&o->req[other], &done, MPI_STATUS_IGNORE);
		if (done) break;
		drain(rbuf, bsize);
	}
	MPI_Isend(o->buf[o->fill], o->n, MPI_INT64_T, dest, TAG, MPI_COMM_WORLD, &o->req[o->fill]);
	o->fill = other;
	o->n = 0;
}

int main(int argc, char **argv) {
	int provided, rank, size;
	MPI_Init_thread(&argc, &argv, MPI_THREAD_SINGLE, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	long updates = 1000000, entries = 1000;
	int bsize = 1024;
	const char *mode = "agg";
	int c;
	while ((c = getopt(argc, argv, "n:t:b:m:")) != -1) {
		switch (c) {
		case 'n': updates = atol(optarg); break;
		case 't': entries = atol(optarg); break;
		case 'b': bsize = atoi(optarg); break;
		case 'm': mode = optarg; break;
		default:
			if (rank == 0) fprintf(stderr, "usage: histogram [-m agg|acc] [-n updates] [-t entries per rank] [-b buffer items]\n");
			MPI_Abort(MPI_COMM_WORLD, 2);
		}
	}
	if (updates < 1 || entries < 1 || bsize < 1 || (strcmp(mode, "agg") && strcmp(mode, "acc"))) {
		if (rank == 0) fprintf(stderr, "histogram: bad arguments\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	tsize = entries;
	uint64_t seed = 0x9E3779B97F4A7C15ULL * (uint64_t)(rank + 1);
	uint64_t total = (uint64_t)entries * (uint64_t)size;
	MPI_Win win = MPI_WIN_NULL;
	outbox *out = NULL;
	int64_t *rbuf = NULL;
	if (!strcmp(mode, "acc")) {
		MPI_Win_allocate(entries * sizeof(int64_t), sizeof(int64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &table, &win);
		memset(table, 0, entries * sizeof(int64_t));
		MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
	} else {
		table = calloc(entries, sizeof(int64_t));
		out = calloc(size, sizeof(outbox));
		for (int d = 0; d < size; d++) {
			out[d].buf[0] = malloc(bsize * sizeof(int64_t));
			out[d].buf[1] = malloc(bsize * sizeof(int64_t));
			out[d].req[0] = out[d].req[1] = MPI_REQUEST_NULL;
		}
		rbuf = malloc(bsize * sizeof(int64_t));
	}
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
		const int64_t one = 1;
		for (long i = 0; i < updates; i++) {
			uint64_t g = next(&seed) % total;
			MPI_Accumulate(&one, 1, MPI_INT64_T, (int)(g / entries), (MPI_Aint)(g % entries), 1, MPI_INT64_T, MPI_SUM, win);
		}
		MPI_Win_flush_all(win);
		MPI_Barrier(MPI_COMM_WORLD);
	} else {
		for (long i = 0; i < updates; i++) {
			uint64_t g = next(&seed) % total;
			int dest = (int)(g / entries);
			int64_t local = (int64_t)(g % entries);
			if (dest == rank) {
				table[local]++;
				continue;
			}
			outbox *o = &out[dest];
			o->buf[o->fill][o->n++] = local;
			if (o->n == bsize) ship(o, dest, rbuf, bsize);
			if ((i & 1023) == 0) drain(rbuf, bsize);
		}
		for (int d = 0; d < size; d++) {
			if (d == rank) continue;
			if (out[d].n > 0) ship(&out[d], d, rbuf, bsize);
			ship(&out[d], d, rbuf, bsize); /* n == 0: the end */
		}
		while (ends < size - 1) drain(rbuf, bsize);
		for (int d = 0; d < size; d++) MPI_Waitall(2, out[d].req, MPI_STATUSES_IGNORE);
	}
	double t1 = MPI_Wtime();
	double secs, local = t1 - t0;
	MPI_Allreduce(&local, &secs, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
	if (win != MPI_WIN_NULL) MPI_Win_unlock_all(win);
	int64_t sum = 0, all = 0;
	for (long i = 0; i < entries; i++) sum += table[i];
	MPI_Reduce(&sum, &all, 1, MPI_INT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0) {
		if (all != (int64_t)updates * size) {
			fprintf(stderr, "c-histogram: table sums to %lld, want %lld\n", (long long)all, (long long)updates * size);
			MPI_Abort(MPI_COMM_WORLD, 1);
		}
		printf("c-histogram mode=%s ranks=%d updates=%ld entries=%ld buffer=%d seconds=%.3f updates/s-per-rank=%.0f\n",
		       mode, size, updates, entries, bsize, secs, updates / secs);
	}
	if (win != MPI_WIN_NULL) MPI_Win_free(&win);
	MPI_Finalize();
	return 0;
}
