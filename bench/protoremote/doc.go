// Package protoremote is a reference benchmark of protoactor-go
// (github.com/asynkron/protoactor-go), used to put figures for our MPI actor
// runtime next to those of an established Go actor library.
//
// It lives in its own Go module (bench/protoremote/go.mod) on purpose: gRPC,
// protoactor-go's remote package and their many dependencies must never enter
// the dependency graph of the main module github.com/rmactor/rmactor. The
// main module's `go test ./...` does not descend into this directory.
//
// The message is google.golang.org/protobuf/types/known/wrapperspb.Int64Value,
// the same small protobuf message our runtime's benchmark sends (a
// BytesValue in BenchmarkRemoteBandwidth). One fresh message is allocated
// per send (the bandwidth benchmark sends one message value again and
// again).
//
// Benchmarks:
//
//   - BenchmarkRemoteOneWay: two ActorSystems in one process, each running
//     protoactor's remote (gRPC streams over loopback, 127.0.0.1 with a port
//     chosen by the kernel). b.N messages are sent from system A's root context
//     to a counting actor on system B; the clock stops when the last one has
//     arrived. Reports msgs/s.
//   - BenchmarkRemoteRequestRoundTrip: b.N sequential RequestFuture calls from
//     A to an echo actor on B. Reports the p50 and p99 round-trip latency in
//     microseconds (ns/op is the mean).
//   - BenchmarkLocalOneWay and BenchmarkLocalRequestRoundTrip: the same with
//     both ends in one ActorSystem and no remote (protoactor's in-process
//     figures).
//   - BenchmarkRemoteBandwidth (bandwidth_test.go): BytesValue messages of
//     each -bw.sizes (default 1K,64K,1M,16M) over the remote, one-way in
//     windows with an answer per window, and request/reply; the method of
//     bench/actorbw and of the C reference bench/mpibw, which
//     scripts/bench-bandwidth runs beside it. Its remotes lift gRPC's 4 MiB
//     message limit. Give it a -benchtime duration, not a count: one
//     iteration is a whole window, up to 64 MiB.
//
// Before the clock starts, each benchmark makes warm-up requests with a future
// so that the gRPC connections in both directions are up. Every run starts its
// own systems and shuts them down afterwards (remote.Shutdown(true)). All
// listeners bind to 127.0.0.1 only; protoactor's Prometheus provider is not
// enabled. Its logging goes to stderr at Warn level and is muted just before
// shutdown, where protoactor logs the connections it closes itself as errors.
//
// Run it from this directory (with 200000x the remote round trips alone take
// about two minutes; 20000x is enough for them):
//
//	cd bench/protoremote
//	go test -run XXX -bench 'OneWay|RoundTrip' -benchtime 200000x -count 3 .
//	go test -run XXX -bench RoundTrip -benchtime 20000x -count 3 .
//	go test -run XXX -bench RemoteBandwidth -benchtime 0.5s .
//
// The race detector reports data races inside protoactor-go's remote package
// (grpclog.SetLoggerV2 called on every Remote.Start, endpointManager fields
// written during Shutdown), so these benchmarks are not run with -race.
package protoremote
