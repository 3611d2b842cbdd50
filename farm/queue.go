package farm

import "sync"

// workQueue is a rank's chunks waiting for a worker, oldest first.
type workQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []chunk
	closed bool
}

// chunk is tasks from one submitter, run one after another by one worker.
type chunk struct {
	from  int
	first uint64
	tasks [][]byte // encoded
}

func (q *workQueue) init() { q.cond = sync.NewCond(&q.mu) }

func (q *workQueue) push(c chunk) {
	q.mu.Lock()
	q.items = append(q.items, c)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop waits for a chunk; ok is false once the queue is closed.
func (q *workQueue) pop() (c chunk, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return chunk{}, false
	}
	c = q.items[0]
	q.items[0] = chunk{}
	q.items = q.items[1:]
	return c, true
}

func (q *workQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// remove takes the chunk key names out of the queue, if it is still there.
func (q *workQueue) remove(key chunkKey) (chunk, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, c := range q.items {
		if c.from == key.from && c.first == key.first {
			q.items = append(q.items[:i], q.items[i+1:]...)
			return c, true
		}
	}
	return chunk{}, false
}
