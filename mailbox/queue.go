package mailbox

import "sync"

// queue is an unbounded many-producer single-consumer FIFO. Producers append
// under a mutex; the one goroutine running the mailbox swaps the whole
// pending slice out at once and then pops from it without locking, so a
// message costs one short uncontended lock and no allocation of its own.
type queue struct {
	mu  sync.Mutex
	in  []any
	_   [24]byte // producers' and consumer's fields on separate cache lines
	out []any    // consumer's batch
	pos int
	// swapped is how many messages the last pop moved from in to out
	// (then cleared by takeSwapped): the consumer's count of what it took.
	swapped int
	_       [24]byte
}

func (q *queue) push(v any) {
	q.mu.Lock()
	q.in = append(q.in, v)
	q.mu.Unlock()
}

// pop is called by the consumer only.
func (q *queue) pop() (any, bool) {
	if q.pos == len(q.out) {
		clear(q.out)
		q.mu.Lock()
		q.out, q.in = q.in, q.out[:0]
		q.mu.Unlock()
		q.pos = 0
		q.swapped = len(q.out)
		if len(q.out) == 0 {
			return nil, false
		}
	}
	v := q.out[q.pos]
	q.pos++
	return v, true
}

// takeSwapped returns how many messages pops moved out of the producers'
// slice since the last call, and resets it. Consumer only.
func (q *queue) takeSwapped() int {
	n := q.swapped
	q.swapped = 0
	return n
}

// holds reports whether the consumer's batch has messages left. Consumer
// only.
func (q *queue) holds() bool { return q.pos < len(q.out) }
