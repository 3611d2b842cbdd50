/*
 * mpi_bw: the C reference for scripts/bench-bandwidth. Two ranks; for each
 * message size given, in order:
 *
 *   oneway    rank 0 posts a window of MPI_Isend (all from one buffer),
 *             rank 1 a window of MPI_Irecv (each into its own part of one
 *             receive area); both wait for the window, then rank 1 sends a 4-byte
 *             ack with MPI_Send and rank 0 receives it before the next
 *             window. Bandwidth = size * window * windows / time on rank 0
 *             (the method of the OSU micro-benchmarks' osu_bw).
 *   reqreply  rank 0 MPI_Send(size), rank 1 MPI_Recv and MPI_Send(size)
 *             back, rank 0 MPI_Recv; one at a time. Bandwidth = 2 * size *
 *             round trips / time (the payload bytes of both directions), and
 *             the mean round trip.
 *
 * The window is -w messages (default 64), fewer when window * size would be
 * more than -W bytes (default 64 MiB): 4 messages of 16 MiB. Each
 * measurement is calibrated to last about -t seconds (default 0.5): a
 * warm-up pass of one iteration, then passes of 1, 4, 16, ... iterations
 * until one takes 50 ms, then the timed pass. Rank 0 decides and
 * broadcasts, so both ranks run the same loops. MB is 10^6 bytes.
 *
 * Build and run (scripts/bench-bandwidth does both):
 *   mpicc -O2 -o mpi_bw bench/mpibw/mpi_bw.c
 *   mpirun -n 2 ./mpi_bw 1024 65536 1048576 16777216
 *
 * Output, on rank 0, one line per measurement:
 *   c-mpi oneway size=1048576 window=64 iters=... seconds=... MB/s=...
 *   c-mpi reqreply size=1048576 iters=... seconds=... MB/s=... rtt-us=...
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG_DATA 100
#define TAG_ACK 101
#define TAG_REPLY 102

static int rank;
static int max_window = 64;
static long window_bytes = 64L << 20;
static double target_seconds = 0.5;

static char *sbuf;  /* rank 0's send buffer, rank 1's reply buffer */
static char *rbuf;  /* receive area: message j of a window at j * size */
static MPI_Request *reqs;

static void die(const char *msg) {
    fprintf(stderr, "mpi_bw: %s\n", msg);
    MPI_Abort(MPI_COMM_WORLD, 2);
}

static void *alloc(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 4096, n ? n : 1) != 0)
        die("out of memory");
    memset(p, rank + 1, n); /* touch every page before timing */
    return p;
}

static int window_for(long size) {
    long w = window_bytes / (size > 0 ? size : 1);
    if (w < 1)
        w = 1;
    if (w > max_window)
        w = max_window;
    return (int)w;
}

/* iters windows of the one-way stream. */
static void oneway(long size, int w, long iters) {
    int ack = 0;
    for (long i = 0; i < iters; i++) {
        if (rank == 0) {
            for (int j = 0; j < w; j++)
                MPI_Isend(sbuf, (int)size, MPI_CHAR, 1, TAG_DATA, MPI_COMM_WORLD, &reqs[j]);
            MPI_Waitall(w, reqs, MPI_STATUSES_IGNORE);
            MPI_Recv(&ack, 1, MPI_INT, 1, TAG_ACK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (rank == 1) {
            for (int j = 0; j < w; j++)
                MPI_Irecv(rbuf + (size_t)j * size, (int)size, MPI_CHAR, 0, TAG_DATA, MPI_COMM_WORLD, &reqs[j]);
            MPI_Waitall(w, reqs, MPI_STATUSES_IGNORE);
            MPI_Send(&ack, 1, MPI_INT, 0, TAG_ACK, MPI_COMM_WORLD);
        }
    }
}

/* iters round trips of size bytes each way. */
static void reqreply(long size, long iters) {
    for (long i = 0; i < iters; i++) {
        if (rank == 0) {
            MPI_Send(sbuf, (int)size, MPI_CHAR, 1, TAG_DATA, MPI_COMM_WORLD);
            MPI_Recv(rbuf, (int)size, MPI_CHAR, 1, TAG_REPLY, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (rank == 1) {
            MPI_Recv(rbuf, (int)size, MPI_CHAR, 0, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(sbuf, (int)size, MPI_CHAR, 0, TAG_REPLY, MPI_COMM_WORLD);
        }
    }
}

/* run times pass(iters) with rank 0's clock, broadcast to rank 1. */
static double timed(int oneway_mode, long size, int w, long iters) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (oneway_mode)
        oneway(size, w, iters);
    else
        reqreply(size, iters);
    double t = MPI_Wtime() - t0;
    MPI_Bcast(&t, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return t;
}

/* measure calibrates and runs one measurement; returns the iterations and
 * sets *seconds. */
static long measure(int oneway_mode, long size, int w, double *seconds) {
    timed(oneway_mode, size, w, 1); /* warm-up */
    long k = 1;
    double t;
    for (;;) {
        t = timed(oneway_mode, size, w, k);
        if (t >= 0.05 || k >= (1L << 24))
            break;
        k *= 4;
    }
    long iters = (long)(target_seconds * (double)k / (t > 0 ? t : 1e-9));
    if (iters < 1)
        iters = 1;
    *seconds = timed(oneway_mode, size, w, iters);
    return iters;
}

int main(int argc, char **argv) {
    int provided, size;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SINGLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2)
        die("needs 2 ranks");

    int opt;
    while ((opt = getopt(argc, argv, "w:W:t:")) != -1) {
        switch (opt) {
        case 'w': max_window = atoi(optarg); break;
        case 'W': window_bytes = atol(optarg); break;
        case 't': target_seconds = atof(optarg); break;
        default: die("usage: mpi_bw [-w window] [-W window_bytes] [-t seconds] size...");
        }
    }
    if (max_window < 1 || window_bytes < 1 || target_seconds <= 0 || optind >= argc)
        die("usage: mpi_bw [-w window] [-W window_bytes] [-t seconds] size...");

    long maxsize = 0;
    for (int i = optind; i < argc; i++) {
        long s = atol(argv[i]);
        if (s < 1 || s > (1L << 30))
            die("sizes are 1 byte to 1 GiB");
        if (s > maxsize)
            maxsize = s;
    }
    reqs = calloc((size_t)window_for(1), sizeof *reqs);
    if (!reqs)
        die("out of memory");
    sbuf = alloc((size_t)maxsize);
    /* A window is at most window_bytes, or one message when a message is
     * larger than that. */
    rbuf = alloc((size_t)(maxsize > window_bytes ? maxsize : window_bytes));

    for (int i = optind; i < argc; i++) {
        long s = atol(argv[i]);
        int w = window_for(s);
        double t;
        long iters = measure(1, s, w, &t);
        if (rank == 0) {
            printf("c-mpi oneway size=%ld window=%d iters=%ld seconds=%.3f MB/s=%.1f\n", s, w, iters, t,
                   (double)s * w * iters / t / 1e6);
            fflush(stdout);
        }
        iters = measure(0, s, 1, &t);
        if (rank == 0) {
            printf("c-mpi reqreply size=%ld iters=%ld seconds=%.3f MB/s=%.1f rtt-us=%.1f\n", s, iters, t,
                   2.0 * s * iters / t / 1e6, t / iters * 1e6);
            fflush(stdout);
        }
    }
    free(sbuf);
    free(rbuf);
    free(reqs);
    MPI_Finalize();
    return 0;
}
