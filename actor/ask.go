package actor

import (
	"context"
	"errors"
	"fmt"
)

// ErrReplyType reports a reply of another type than the one asked for.
var ErrReplyType = errors.New("actor: reply of an unexpected type")

// Ask sends msg to pid as a request (System.Request) and returns the reply
// as an R. A reply of another type fails with ErrReplyType, naming both
// types; every other failure is Request's (a DeliveryError, ErrRankClosed,
// ctx's error).
func Ask[R any](ctx context.Context, s *System, pid *PID, msg any) (R, error) {
	var zero R
	v, err := s.Request(ctx, pid, msg)
	if err != nil {
		return zero, err
	}
	r, ok := v.(R)
	if !ok {
		return zero, fmt.Errorf("%w: %s/%s answered %T, the asker wants %T", ErrReplyType, pid.Address, pid.Id, v, zero)
	}
	return r, nil
}
