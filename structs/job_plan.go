package structs

// JobPlanRequest asks for a dry run of registering Job: what the scheduler
// would do, without committing anything. Diff asks for the field-by-field
// difference from the registered version.
type JobPlanRequest struct {
	Job  *Job
	Diff bool
	WriteRequest
}

// JobPlanResponse is a dry run's outcome, in Nomad's shape. JobModifyIndex
// is the registered job's, for `job run -check-index`; CreatedEvals are the
// evaluations the scheduler would have created (blocked ones for groups
// that do not fit).
type JobPlanResponse struct {
	Annotations    *PlanAnnotations
	FailedTGAllocs map[string]*AllocMetric
	JobModifyIndex uint64
	CreatedEvals   []*Evaluation
	Diff           *JobDiff
	Warnings       string
	WriteMeta
}

// JobScaleRequest sets a task group's count, making a new job version.
// EnforceIndex and JobModifyIndex work as in JobRegisterRequest.
type JobScaleRequest struct {
	JobID          string
	Namespace      string
	Group          string
	Count          *int64
	Message        string
	EnforceIndex   bool
	JobModifyIndex uint64
	WriteRequest
}
