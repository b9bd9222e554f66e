package api

import "net/http"

// JobPlanRequest is the body of PUT /v1/job/:id/plan.
type JobPlanRequest struct {
	Job  *Job
	Diff bool
}

// JobPlanResponse is a dry run's outcome: what the scheduler would do,
// placements that would fail, and (with Diff) the difference from the
// registered job. JobModifyIndex is what `job run -check-index` takes.
type JobPlanResponse struct {
	JobModifyIndex uint64
	CreatedEvals   []*Evaluation
	Diff           *JobDiff
	Annotations    *PlanAnnotations
	FailedTGAllocs map[string]*AllocMetric
	Warnings       string
	Index          uint64
}

// PlanAnnotations describe a plan per task group.
type PlanAnnotations struct {
	DesiredTGUpdates map[string]*DesiredUpdates
	// PreemptedAllocs are the allocations the plan would evict.
	PreemptedAllocs []*AllocListStub
}

// DesiredUpdates counts what a plan does to one task group's allocations.
type DesiredUpdates struct {
	Ignore            uint64
	Place             uint64
	Migrate           uint64
	Stop              uint64
	InPlaceUpdate     uint64
	DestructiveUpdate uint64
	Canary            uint64
	Preemptions       uint64
}

// Diff types.
const (
	DiffTypeNone    = "None"
	DiffTypeAdded   = "Added"
	DiffTypeDeleted = "Deleted"
	DiffTypeEdited  = "Edited"
)

// JobDiff is the field-by-field difference between two job versions.
type JobDiff struct {
	Type       string
	ID         string
	Fields     []*FieldDiff
	Objects    []*ObjectDiff
	TaskGroups []*TaskGroupDiff
}

// TaskGroupDiff is one group's difference; Updates counts what the
// scheduler would do ("create", "destroy", "in-place update",
// "create/destroy update", "ignore", ...).
type TaskGroupDiff struct {
	Type    string
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
	Tasks   []*TaskDiff
	Updates map[string]uint64
}

// TaskDiff is one task's difference.
type TaskDiff struct {
	Type        string
	Name        string
	Fields      []*FieldDiff
	Objects     []*ObjectDiff
	Annotations []string
}

// FieldDiff is one value's difference.
type FieldDiff struct {
	Type        string
	Name        string
	Old, New    string
	Annotations []string
}

// ObjectDiff is a nested block's difference.
type ObjectDiff struct {
	Type    string
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
}

// Plan asks the agent what registering job would do, without doing it.
func (j *Jobs) Plan(job *Job, diff bool, w *WriteOptions) (*JobPlanResponse, *WriteMeta, error) {
	var out JobPlanResponse
	id := ""
	if job != nil {
		id = job.ID
	}
	wm, err := j.c.write(http.MethodPut, "/v1/job/"+escape(id)+"/plan", &JobPlanRequest{Job: job, Diff: diff}, &out, w)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// ScalingRequest is the body of POST /v1/job/:id/scale.
type ScalingRequest struct {
	Count          *int64
	Target         map[string]string
	Message        string `json:",omitempty"`
	EnforceIndex   bool   `json:",omitempty"`
	JobModifyIndex uint64 `json:",omitempty"`
}

// JobScaleStatusResponse is a job's desired and actual counts per group.
type JobScaleStatusResponse struct {
	JobID          string
	Namespace      string
	JobCreateIndex uint64
	JobModifyIndex uint64
	JobStopped     bool
	TaskGroups     map[string]TaskGroupScaleStatus
}

// TaskGroupScaleStatus is one group's desired and actual counts.
type TaskGroupScaleStatus struct {
	Desired   int
	Placed    int
	Running   int
	Healthy   int
	Unhealthy int
}

// Scale sets a task group's count, registering a new job version, and
// returns the registration with its evaluation.
func (j *Jobs) Scale(jobID, group string, count int64, message string, w *WriteOptions) (*JobRegisterResponse, *WriteMeta, error) {
	req := &ScalingRequest{Count: &count, Target: map[string]string{"Job": jobID, "Group": group}, Message: message}
	var out JobRegisterResponse
	wm, err := j.c.write(http.MethodPost, "/v1/job/"+escape(jobID)+"/scale", req, &out, w)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// ScaleStatus reads a job's desired and actual counts per group.
func (j *Jobs) ScaleStatus(jobID string, q *QueryOptions) (*JobScaleStatusResponse, *QueryMeta, error) {
	var out JobScaleStatusResponse
	qm, err := j.c.query("/v1/job/"+escape(jobID)+"/scale", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}
