package broker

import (
	"container/heap"

	"github.com/droverhq/drover/structs"
)

// evalHeap orders evaluations by priority (highest first), then by
// CreateIndex (oldest first), so equal-priority work is first come, first served.
type evalHeap []*structs.Evaluation

func (h evalHeap) Len() int { return len(h) }

func (h evalHeap) Less(i, j int) bool {
	if h[i].Priority != h[j].Priority {
		return h[i].Priority > h[j].Priority
	}
	return h[i].CreateIndex < h[j].CreateIndex
}

func (h evalHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *evalHeap) Push(x interface{}) { *h = append(*h, x.(*structs.Evaluation)) }

func (h *evalHeap) Pop() interface{} {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

func (h *evalHeap) push(e *structs.Evaluation) { heap.Push(h, e) }

func (h *evalHeap) pop() *structs.Evaluation { return heap.Pop(h).(*structs.Evaluation) }

func (h evalHeap) peek() *structs.Evaluation {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}
