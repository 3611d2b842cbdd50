// Package mapreduce runs map → shuffle → reduce jobs over a cluster,
// typed with generics (MR-MPI's map, collate and reduce, or Gleam's Map and
// ReduceBy, on rmactor): Run folds each key's values, Reduce streams all
// of a key's values to a reduce function.
//
//	res, err := mapreduce.Run(ctx, c, "wordcount", mapreduce.Lines("corpus/"),
//		func(line []byte, emit func(string, int)) error {
//			for _, w := range bytes.Fields(line) {
//				emit(string(w), 1)
//			}
//			return nil
//		},
//		func(a, b int) int { return a + b })
//	top, err := res.Top(ctx, 10, func(a, b mapreduce.Pair[string, int]) bool { return a.Value > b.Value })
//
// # The model
//
// Run is collective. Each rank maps its share of the source: Lines lays
// the files under its paths end to end, gives each rank an equal byte
// range cut at line boundaries, and yields lines of any length; Blocks
// yields the same lines in blocks; FileLines each line with its file;
// Slice splits an in-memory slice; Result.Source feeds one job's output to
// the next. The mapper emits (key, value) pairs.
// Pairs with equal keys are folded with the job's fold function, first on
// the mapping rank (the combiner, up to WithCombineEntries keys in memory)
// and then on the rank that owns the key (WithPartitioner; a hash of the
// key by default), where a reducer actor folds every batch that arrives.
// The fold must therefore be associative and commutative (a sum, a max, a
// set union, an append followed by a sort). Batches of up to
// WithBatchPairs pairs are sent with backpressure (a sender waits while the
// reducer's mailbox is full), and Run returns once the cluster is quiescent:
// every pair is folded into its owner's partition. Reduce skips the
// combiner, keeps every pair on its owner, and then calls the reduce
// function once per key, in key order, with an iterator over its values.
//
// # Output
//
// Each rank's Result holds its partition: All and Sorted iterate it,
// WriteText writes it to part-NNNNN, Gather collects every partition on
// rank 0, Top the first n by any order, Source chains a next job.
//
// # Errors
//
// An input that cannot be read fails with ErrInput, a mapper's error is
// returned wrapped, both naming the rank and the file and line (or item)
// where it happened; under cluster.Run the whole job then ends. Keys and
// values travel in the codec's encoding (codec.AppendValue): keys of any
// ordered type (strings, numbers), values of any plain Go type. When both
// are of fixed shape (numbers, or arrays and structs of numbers), pairs
// travel on a conveyor instead (package conveyor): copied as memory into
// per-rank buffers, with no codec, and a reducer's failure (a spill that
// cannot be written) fails the job on every rank.
//
// # Memory
//
// WithMemory sets the budget per rank (DefaultMemory, 512 MiB): past it
// the reducer's partition is sorted into run files under WithTempDir and
// merged when the job ends, and a large result stays on disk, read as it
// is iterated. The answer does not depend on the budget. Close a Result to
// remove its files; a failed or cancelled job removes them itself.
package mapreduce
