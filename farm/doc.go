// Package farm runs tasks on worker goroutines on every rank of a cluster:
// a task farm (mpi4py.futures' MPIPoolExecutor, in Go, over rmactor).
//
// Every rank creates the farm with the same name and function; any rank
// may then submit tasks to it:
//
//	f, err := farm.New(ctx, c, "square", func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	})
//	...
//	for v, err := range f.Map(ctx, slices.Values(inputs), farm.Chunk(64)) {
//		... // results in the order of inputs
//	}
//	fut, err := f.Submit(ctx, 7) // one task; fut.Wait(ctx) gives 49
//	...
//	err = f.Close(ctx) // collective
//
// # Scheduling
//
// Each rank runs WithWorkers worker goroutines (default GOMAXPROCS), rank
// 0 included unless WithRankZero(false). A submitting rank keeps at most
// WithPrefetch chunks per worker sent to each rank, and sends the next
// chunk to the rank with the most idle slots; a rank's workers take its
// chunks in turn. So work goes to the workers that finish, a slow task
// holds up only its own worker, and the tasks in flight are bounded:
// Submit and Map wait for a slot rather than queue without end. Map reads
// its input as slots free, and yields in order, holding at most a few
// chunks per slot of results that came early; MapUnordered yields each as
// it comes. Chunk(n) sends n tasks per message (mpi4py's chunksize).
//
// # Failures
//
// A task whose function returns an error, panics, runs past
// WithTaskTimeout, or is cancelled comes back as that task's *TaskError
// (errors.Is: ErrTask, and ErrPanic, ErrTimeout or ErrCancelled), naming
// the rank that ran it; the other tasks are not affected. Ending the
// context of Submit, or of a Map (or leaving its loop early), cancels the
// tasks still out: their workers' contexts end. A function that ignores its
// context holds its worker until it returns.
//
// # Values
//
// T and R travel in the codec's encoding (codec.AppendValue): plain Go
// values (structs of exported fields, slices, maps, numbers, strings) with
// CBOR, protobuf messages with protobuf. No registration is needed.
//
// Stats counts the tasks a rank submitted: submitted, completed, failed and
// in flight (for progress reports).
package farm
