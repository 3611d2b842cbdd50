package farm

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed reports a farm used after Close.
	ErrClosed = errors.New("farm: closed")
	// ErrTask is matched by every task failure: a TaskError.
	ErrTask = errors.New("farm: task failed")
	// ErrPanic reports a task whose function panicked.
	ErrPanic = errors.New("farm: task panicked")
	// ErrTimeout reports a task still running when its timeout passed
	// (WithTaskTimeout).
	ErrTimeout = errors.New("farm: task timed out")
	// ErrCancelled reports a task its submitter cancelled (its context
	// ended, or its Map's loop stopped) before it ran or while it ran.
	ErrCancelled = errors.New("farm: task cancelled")
)

// TaskError is one task's failure, as its submitter sees it: the rank that
// ran it, and what happened there (the function's error text, a panic, a
// timeout, a cancellation, or a result that could not be encoded or
// decoded). errors.Is matches ErrTask, and ErrPanic, ErrTimeout or
// ErrCancelled as the case may be.
type TaskError struct {
	Rank int
	Msg  string
	Kind error // ErrPanic, ErrTimeout, ErrCancelled, or nil for an error of the function or the codec
}

func (e *TaskError) Error() string { return fmt.Sprintf("farm: task on rank %d: %s", e.Rank, e.Msg) }

// Is matches ErrTask and the error's kind.
func (e *TaskError) Is(target error) bool {
	return target == ErrTask || (e.Kind != nil && target == e.Kind)
}
