package conveyor

import "errors"

var (
	// ErrNotFixed reports a value type that is not of fixed shape and has
	// no Encoding (see the package doc).
	ErrNotFixed = errors.New("conveyor: value type is not of fixed shape")
	// ErrInvalidRank reports a Send to a rank outside the job.
	ErrInvalidRank = errors.New("conveyor: no such rank")
	// ErrClosed reports a Send, Flush or Done on a Conveyor that is done
	// or closed.
	ErrClosed = errors.New("conveyor: closed")
	// ErrHandler reports a handler that returned an error, on some rank;
	// Done returns it, on every rank, wrapped with the handlers' messages.
	ErrHandler = errors.New("conveyor: handler failed")
	// ErrBadBatch reports a batch whose length does not match its header
	// (a transport fault): its values are dropped and reported.
	ErrBadBatch = errors.New("conveyor: malformed batch")
)
