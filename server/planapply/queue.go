package planapply

import (
	"container/heap"
	"context"
	"errors"
	"sync"

	"github.com/droverhq/drover/structs"
)

// ErrNotEnabled is returned when the queue is used on a server that is not
// the leader.
var ErrNotEnabled = errors.New("plan queue is not enabled (this server is not the leader)")

// Future is a submitted plan's pending answer.
type Future struct {
	plan *structs.Plan
	// seq keeps equal-priority plans first in, first out.
	seq  uint64
	done chan struct{}
	res  *structs.PlanResult
	err  error
}

// Wait blocks until the plan is applied or rejected, or ctx ends.
func (f *Future) Wait(ctx context.Context) (*structs.PlanResult, error) {
	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *Future) respond(res *structs.PlanResult, err error) {
	f.res, f.err = res, err
	close(f.done)
}

type futureHeap []*Future

func (h futureHeap) Len() int { return len(h) }
func (h futureHeap) Less(i, j int) bool {
	if h[i].plan.Priority != h[j].plan.Priority {
		return h[i].plan.Priority > h[j].plan.Priority
	}
	return h[i].seq < h[j].seq
}
func (h futureHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *futureHeap) Push(x interface{}) { *h = append(*h, x.(*Future)) }
func (h *futureHeap) Pop() interface{} {
	old := *h
	f := old[len(old)-1]
	*h = old[:len(old)-1]
	return f
}

// Queue holds plans waiting for the applier, highest priority first.
type Queue struct {
	mu      sync.Mutex // guards the fields below
	enabled bool
	seq     uint64
	plans   futureHeap
	notify  chan struct{}
}

// NewQueue returns a disabled queue.
func NewQueue() *Queue { return &Queue{notify: make(chan struct{})} }

// SetEnabled turns the queue on (leader) or off; off fails every queued plan.
func (q *Queue) SetEnabled(enabled bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enabled = enabled
	if !enabled {
		for _, f := range q.plans {
			f.respond(nil, ErrNotEnabled)
		}
		q.plans = nil
	}
	q.signalLocked()
}

func (q *Queue) signalLocked() {
	close(q.notify)
	q.notify = make(chan struct{})
}

// Enqueue adds a plan and returns its future.
func (q *Queue) Enqueue(plan *structs.Plan) (*Future, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.enabled {
		return nil, ErrNotEnabled
	}
	q.seq++
	f := &Future{plan: plan, seq: q.seq, done: make(chan struct{})}
	heap.Push(&q.plans, f)
	q.signalLocked()
	return f, nil
}

// Dequeue waits for the next plan until ctx ends.
func (q *Queue) Dequeue(ctx context.Context) (*Future, error) {
	for {
		q.mu.Lock()
		if !q.enabled {
			q.mu.Unlock()
			return nil, ErrNotEnabled
		}
		if len(q.plans) > 0 {
			f := heap.Pop(&q.plans).(*Future)
			q.mu.Unlock()
			return f, nil
		}
		notify := q.notify
		q.mu.Unlock()
		select {
		case <-notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Len is the number of queued plans.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.plans)
}
