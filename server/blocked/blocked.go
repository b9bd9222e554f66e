// Package blocked keeps the leader's blocked evaluations: evals whose
// scheduler could not place everything for lack of capacity. They sleep here
// until capacity may have appeared on a node class that could run them —
// a node registers or becomes ready, or allocations on a node end — and are
// then handed back to the eval broker.
//
// Unblocking re-enqueues the same evaluation, unchanged (its status stays
// "blocked" in the state store). The worker that dequeues it runs the
// scheduler again: if everything now fits, the scheduler marks it complete;
// if not, it reblocks it (Raft EvalUpdate with status blocked), which brings
// it back here. Keeping the eval's identity avoids a trail of copies and
// lets a new leader rebuild this set from the state store alone.
//
// There is at most one blocked eval per job; the newest (by CreateIndex)
// wins and the older one is returned so the leader can cancel it.
package blocked

import (
	"sync"

	"github.com/droverhq/drover/structs"
)

type jobKey struct{ namespace, id string }

// Stats counts blocked evals.
type Stats struct {
	TotalBlocked int
	// TotalEscaped counts evals whose constraints escaped node classes, so
	// any capacity change may help them.
	TotalEscaped int
}

// Evals is the set of blocked evaluations. Safe for concurrent use; no
// method blocks. Enqueue is called with no lock held.
type Evals struct {
	enqueue func(*structs.Evaluation)

	mu sync.Mutex // guards the fields below
	// enabled is true on the leader only.
	enabled bool
	byJob   map[jobKey]*structs.Evaluation
	// unblockIndex is the Raft index of the latest unblock per node class,
	// so an eval blocked from an older snapshot is not stranded after
	// missing an unblock that happened while it was being scheduled.
	unblockIndex map[string]uint64
}

// New returns a disabled set that hands unblocked evals to enqueue
// (normally the eval broker's Enqueue).
func New(enqueue func(*structs.Evaluation)) *Evals {
	return &Evals{enqueue: enqueue, byJob: map[jobKey]*structs.Evaluation{}, unblockIndex: map[string]uint64{}}
}

// SetEnabled turns the set on (leader) or off; off drops everything.
func (b *Evals) SetEnabled(enabled bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enabled = enabled
	if !enabled {
		b.byJob = map[jobKey]*structs.Evaluation{}
		b.unblockIndex = map[string]uint64{}
	}
}

// Block adds a blocked eval. It returns the job's eval that lost to it
// (the older of the two), which the caller should cancel, or nil. If an
// unblock the eval may care about happened after its SnapshotIndex, the eval
// is enqueued at once instead of being kept.
func (b *Evals) Block(eval *structs.Evaluation) (replaced *structs.Evaluation) {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return nil
	}
	key := jobKey{eval.Namespace, eval.JobID}
	if old, ok := b.byJob[key]; ok {
		if old.ID == eval.ID {
			delete(b.byJob, key)
		} else if old.CreateIndex > eval.CreateIndex {
			b.mu.Unlock()
			return eval
		} else {
			replaced = old
			delete(b.byJob, key)
		}
	}
	if b.missedUnblockLocked(eval) {
		b.mu.Unlock()
		b.enqueue(eval)
		return replaced
	}
	b.byJob[key] = eval
	b.mu.Unlock()
	return replaced
}

// missedUnblockLocked reports whether a class the eval could use was
// unblocked after the snapshot the eval was scheduled from.
func (b *Evals) missedUnblockLocked(eval *structs.Evaluation) bool {
	for class, index := range b.unblockIndex {
		if index > eval.SnapshotIndex && wants(eval, class) {
			return true
		}
	}
	return false
}

// wants reports whether capacity on a node class may help the eval: yes
// unless the scheduler found the class ineligible, and always when the eval
// escaped class-based feasibility.
func wants(eval *structs.Evaluation, class string) bool {
	if eval.EscapedComputedClass {
		return true
	}
	eligible, known := eval.ClassEligibility[class]
	return !known || eligible
}

// Unblock hands every blocked eval that may use capacity on nodes of class
// to the broker; index is the Raft index of the change that freed capacity.
func (b *Evals) Unblock(class string, index uint64) {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return
	}
	b.unblockIndex[class] = max(b.unblockIndex[class], index)
	var out []*structs.Evaluation
	for key, eval := range b.byJob {
		if wants(eval, class) {
			out = append(out, eval)
			delete(b.byJob, key)
		}
	}
	b.mu.Unlock()
	for _, eval := range out {
		b.enqueue(eval)
	}
}

// Untrack forgets the job's blocked eval and returns it (nil if none);
// used when a newer eval reconciled the job completely.
func (b *Evals) Untrack(namespace, jobID string) *structs.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := jobKey{namespace, jobID}
	eval := b.byJob[key]
	delete(b.byJob, key)
	return eval
}

// Stats counts the blocked evals.
func (b *Evals) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := Stats{TotalBlocked: len(b.byJob)}
	for _, e := range b.byJob {
		if e.EscapedComputedClass {
			s.TotalEscaped++
		}
	}
	return s
}
