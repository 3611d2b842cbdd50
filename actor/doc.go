// Package actor is rmactor's user-facing API: protoactor-go's actors
// (Actor, Context, Props, PID, futures, lifecycle messages, supervision,
// behaviours, middleware) re-exported, on a rank-aware System.
//
// Every rank of an rma.World runs one System, whose protoactor address is
// "rank:N". Actors spawned with this package's Props get a mailbox whose user
// queue is a RemoteChannel in their rank's window; their PIDs carry the
// ring's address, so any rank sends to them with one-sided puts, batched per
// target mailbox. Messages between actors of the same rank stay in memory.
// Named actors, futures and system messages (Watch, Terminated, Stop) travel
// through each rank's inbox and are resolved by id there.
//
// Messages that cross ranks are encoded by a codec: protobuf messages as is,
// plain Go types once registered (see package codec). A message that cannot
// be encoded or decoded becomes a dead letter with its reason logged, and a
// request for it fails at once.
//
// Claims end actors: an actor spawned WithClaims(n) stops by itself after
// processing exactly n user messages (plus claims added later, from any
// rank, with System.AddClaims), and its watchers get Terminated.
//
// Backpressure: sends inside Receive never block; a batch that finds the
// target mailbox full waits in the sender rank's outlet and is retried by the
// rank's flusher. System.Send, for senders outside actors, waits while the
// target mailbox is full. docs/protocol.md states the memory bound.
package actor
