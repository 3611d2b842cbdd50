// Package conveyor is rmactor's fine-grained path: typed mailboxes for
// small fixed-shape values, sent one by one and moved in bulk.
//
// A Conveyor[T] is a mailbox for values of type T on every rank, with one
// handler per rank. Send(ctx, rank, v) copies v into this rank's buffer for
// that rank: no interface boxing, envelope, reflection or allocation per
// value. A full buffer (WithBatch values, 1024 by default) goes out as one
// actor message; the owner's handler then gets the values one by one,
// decoded in place. This is the aggregation of bale's conveyors and
// HClib-Actor's selectors, with the guarantees of the actor system:
//
//   - Termination: a value waiting in a buffer counts as a message in
//     flight, so cluster.Quiesce (and Done, which calls it) returns only
//     once every value sent anywhere has been handled, including the values
//     handlers sent. Every Quiesce wave flushes the buffers; so does a timer
//     (WithFlushDelay) and Flush.
//   - Backpressure: Send waits while the owner's mailbox is full, like
//     actor.System.Send. Sends from a handler (with the ctx the handler got)
//     never wait, as sends inside an actor never do; NoWait(ctx) marks a
//     ctx so for sends from an actor's Receive.
//   - Order: the values one goroutine sends to one rank are handled in the
//     order sent.
//   - Errors: a handler's error stops that rank's handling (later values
//     are counted and dropped) and is returned by Done on every rank,
//     naming the rank.
//
// T is a value of fixed shape: a number, a bool, an array or a struct of
// those (no pointers, slices, strings, maps, interfaces or channels),
// copied as its memory, which assumes every rank runs the same program on
// the same architecture, as MPI jobs do. Any other type can travel with its
// own fixed-size Encoding (WithEncoding).
//
// A Conveyor is made collectively (New, with the same name on every rank)
// and ended collectively (Done, then Close).
package conveyor
