/*
 * mpi_rma_lat: the C reference for one-sided operation latencies between two
 * ranks (docs/benchmarks.md, "Across hosts"). Rank 0 times each operation,
 * completed with MPI_Win_flush, on a word of rank 1's window, under one
 * MPI_Win_lock_all epoch, as rmactor's MPI backend issues them:
 *
 *   fetch_and_op   MPI_Fetch_and_op(MPI_SUM) + flush    (a ticket)
 *   cas            MPI_Compare_and_swap + flush          (the doorbell's arm)
 *   put64          MPI_Put of 64 bytes + flush           (a small frame)
 *   put64+acc      MPI_Put of 64 bytes, MPI_Accumulate(MPI_REPLACE) of a
 *                  word + one flush                      (publish a frame)
 *   get8           MPI_Get of 8 bytes + flush
 *
 * and the two-sided round trip (MPI_Send / MPI_Recv of 8 bytes each way).
 * While rank 0 times the one-sided operations, rank 1 waits in MPI_Barrier,
 * inside MPI, so its side progresses. Output: one line per measurement,
 * mean microseconds.
 *
 *   mpicc -O2 -o mpi_rma_lat bench/mpirma/mpi_rma_lat.c
 *   mpirun -n 2 --mca osc ucx ./mpi_rma_lat [iterations]
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static double now(void) { return MPI_Wtime(); }

int main(int argc, char **argv) {
	int provided, rank, size;
	MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (size != 2) {
		if (rank == 0) fprintf(stderr, "mpi_rma_lat: run with 2 ranks\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	int iters = argc > 1 ? atoi(argv[1]) : 2000;
	uint64_t *base;
	MPI_Win win;
	MPI_Win_allocate(4096, 8, MPI_INFO_NULL, MPI_COMM_WORLD, &base, &win);
	MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
	char buf[64] = {0};
	uint64_t one = 1, res = 0, cmp = 0, val = 0;
	const char *names[] = {"fetch_and_op", "cas", "put64", "put64+acc", "get8"};
	for (int op = 0; op < 5; op++) {
		MPI_Barrier(MPI_COMM_WORLD);
		if (rank == 0) {
			double t0 = 0;
			for (int i = -iters / 10; i < iters; i++) {
				if (i == 0) t0 = now();
				switch (op) {
				case 0: MPI_Fetch_and_op(&one, &res, MPI_UINT64_T, 1, 0, MPI_SUM, win); break;
				case 1: cmp = val; val = cmp + 1; MPI_Compare_and_swap(&val, &cmp, &res, MPI_UINT64_T, 1, 1, win); break;
				case 2: MPI_Put(buf, 64, MPI_BYTE, 1, 16, 64, MPI_BYTE, win); break;
				case 3: MPI_Put(buf, 64, MPI_BYTE, 1, 16, 64, MPI_BYTE, win);
					MPI_Accumulate(&one, 1, MPI_UINT64_T, 1, 20, 1, MPI_UINT64_T, MPI_REPLACE, win); break;
				case 4: MPI_Get(&res, 1, MPI_UINT64_T, 1, 0, 1, MPI_UINT64_T, win); break;
				}
				MPI_Win_flush(1, win);
			}
			printf("c-mpi rma %s mean-us=%.1f\n", names[op], (now() - t0) / iters * 1e6);
			fflush(stdout);
		}
		MPI_Barrier(MPI_COMM_WORLD);
	}
	MPI_Win_unlock_all(win);
	/* Two-sided round trip. */
	MPI_Barrier(MPI_COMM_WORLD);
	double t0 = 0;
	for (int i = -iters / 10; i < iters; i++) {
		if (i == 0) t0 = now();
		if (rank == 0) {
			MPI_Send(&one, 1, MPI_UINT64_T, 1, 7, MPI_COMM_WORLD);
			MPI_Recv(&res, 1, MPI_UINT64_T, 1, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		} else {
			MPI_Recv(&res, 1, MPI_UINT64_T, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			MPI_Send(&one, 1, MPI_UINT64_T, 0, 7, MPI_COMM_WORLD);
		}
	}
	if (rank == 0) printf("c-mpi sendrecv round-trip-us=%.1f\n", (now() - t0) / iters * 1e6);
	MPI_Win_free(&win);
	MPI_Finalize();
	return 0;
}
