package state

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// JobSummary counts a job's allocations by client status per task group,
// computed from the allocations on each call. Queued counts come from the
// job's newest evaluation that reported them. It returns nil for a job that
// neither exists nor has allocations.
func (r *reader) JobSummary(ws memdb.WatchSet, namespace, id string) (*structs.JobSummary, error) {
	job, err := r.JobByID(ws, namespace, id)
	if err != nil {
		return nil, err
	}
	allocs, err := r.AllocsByJob(ws, namespace, id)
	if err != nil {
		return nil, err
	}
	evals, err := r.EvalsByJob(ws, namespace, id)
	if err != nil {
		return nil, err
	}
	if job == nil && len(allocs) == 0 {
		return nil, nil
	}
	sum := &structs.JobSummary{JobID: id, Namespace: namespace, Summary: map[string]structs.TaskGroupSummary{}}
	if job != nil {
		sum.CreateIndex, sum.ModifyIndex = job.CreateIndex, job.ModifyIndex
		for _, tg := range job.TaskGroups {
			sum.Summary[tg.Name] = structs.TaskGroupSummary{}
		}
	}
	for _, a := range allocs {
		tg := sum.Summary[a.TaskGroup]
		countAlloc(&tg, a)
		sum.Summary[a.TaskGroup] = tg
		sum.ModifyIndex = max(sum.ModifyIndex, a.ModifyIndex)
	}
	if e := newestQueued(evals); e != nil {
		for name, n := range e.QueuedAllocations {
			tg := sum.Summary[name]
			tg.Queued = n
			sum.Summary[name] = tg
		}
	}
	return sum, nil
}

func countAlloc(tg *structs.TaskGroupSummary, a *structs.Allocation) {
	switch a.ClientStatus {
	case structs.AllocClientStatusPending:
		tg.Starting++
	case structs.AllocClientStatusRunning:
		tg.Running++
	case structs.AllocClientStatusComplete:
		tg.Complete++
	case structs.AllocClientStatusFailed:
		tg.Failed++
	case structs.AllocClientStatusLost:
		tg.Lost++
	default:
		tg.Unknown++
	}
}

// newestQueued returns the most recently modified evaluation that reported
// queued allocations, or nil.
func newestQueued(evals []*structs.Evaluation) *structs.Evaluation {
	var newest *structs.Evaluation
	for _, e := range evals {
		if e.QueuedAllocations != nil && (newest == nil || e.ModifyIndex > newest.ModifyIndex) {
			newest = e
		}
	}
	return newest
}
