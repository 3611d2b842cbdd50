package rma

import "context"

// Messenger is implemented by worlds that carry two-sided messages beside
// their windows: the MPI world (MPI_Isend, MPI_Improbe, MPI_Mrecv on a
// communicator of its own) and the in-process world. Across hosts a message
// costs one network trip where a one-sided put into a ring costs several,
// so the actor runtime relays its batches through messages between ranks
// whose windows are not in shared memory.
type Messenger interface {
	// OpenMessages is collective: every rank calls it and gets its end of a
	// new message channel, apart from every other one.
	OpenMessages(ctx context.Context) (Messages, error)
}

// Messages is one rank's end of a message channel. Messages are reliable
// and arrive in the order each sender sent them to this rank (MPI's
// non-overtaking rule); messages from different senders interleave in any
// order. Send and Probe may be called from any goroutine.
type Messages interface {
	// Send starts sending data to rank dest and returns at once. data must
	// stay unchanged, and alive, until the returned Sending reports done.
	Send(dest int, data []byte) (Sending, error)
	// Probe looks for the next message that arrived, without waiting. The
	// message is this caller's to receive: it must call Receive on it
	// before probing again.
	Probe() (Arrival, bool, error)
	// Close is collective: it frees the channel once every rank calls it.
	// Sends must be done first; messages never received are dropped.
	Close(ctx context.Context) error
}

// Sending is a send in progress.
type Sending interface {
	// Done reports whether the send is complete (its data may be reused);
	// it gives the network a chance to progress.
	Done() (bool, error)
}

// Arrival is a message found by Probe and not yet received.
type Arrival interface {
	// Source is the sender's rank.
	Source() int
	// Len is the message's size in bytes.
	Len() int
	// Receive copies the message into dst, which must be Len() bytes long.
	Receive(dst []byte) error
}
