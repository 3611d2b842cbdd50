package rma

import (
	"context"
	"encoding/binary"
	"fmt"
)

// Number is a fixed-size numeric type that can travel in a record.
type Number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// RecordBytes is the message size needed for records of n values of T: use
// it as NewChannel's message size.
func RecordBytes[T Number](n int) int {
	var v T
	return n * binary.Size(v)
}

// AppendRecord appends values to dst, little-endian.
func AppendRecord[T Number](dst []byte, values ...T) []byte {
	out, _ := binary.Append(dst, binary.LittleEndian, values) // cannot fail for []Number
	return out
}

// DecodeRecord decodes a message made by AppendRecord. A length that is not
// a whole number of values gives ErrCorrupt.
func DecodeRecord[T Number](msg []byte) ([]T, error) {
	var v T
	size := binary.Size(v)
	if len(msg)%size != 0 {
		return nil, fmt.Errorf("%w: record of %d bytes is not a whole number of %d-byte values", ErrCorrupt, len(msg), size)
	}
	out := make([]T, len(msg)/size)
	if _, err := binary.Decode(msg, binary.LittleEndian, out); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return out, nil
}

// Records is a typed view of a Channel whose messages are tuples of numbers,
// as the tuples of float64 that mpi-channels programs send.
type Records[T Number] struct{ ch *Channel }

// RecordsOf views ch as a channel of records of T.
func RecordsOf[T Number](ch *Channel) Records[T] { return Records[T]{ch} }

// Channel is the underlying channel.
func (r Records[T]) Channel() *Channel { return r.ch }

// Put enqueues one record.
func (r Records[T]) Put(ctx context.Context, values ...T) error {
	return r.ch.Put(ctx, AppendRecord(nil, values...))
}

// PutF enqueues one record asynchronously.
func (r Records[T]) PutF(values ...T) *Future[struct{}] {
	return r.ch.PutF(AppendRecord(nil, values...))
}

// Take returns the next record, or ErrNoMore.
func (r Records[T]) Take(ctx context.Context) ([]T, error) {
	msg, err := r.ch.Take(ctx)
	if err != nil {
		return nil, err
	}
	return DecodeRecord[T](msg)
}
