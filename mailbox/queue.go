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
	_   [32]byte
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
		if len(q.out) == 0 {
			return nil, false
		}
	}
	v := q.out[q.pos]
	q.pos++
	return v, true
}
