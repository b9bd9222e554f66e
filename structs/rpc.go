package structs

import "time"

// QueryOptions is carried by every read: blocking-query index and wait,
// namespace, and whether a follower's view is acceptable.
type QueryOptions struct {
	Region        string
	Namespace     string
	MinQueryIndex uint64
	MaxQueryTime  time.Duration
	AllowStale    bool
	Prefix        string
	AuthToken     string
}

// QueryMeta is returned by every read.
type QueryMeta struct {
	Index       uint64
	KnownLeader bool
	LastContact time.Duration
}

// WriteRequest is carried by every write.
type WriteRequest struct {
	Region    string
	Namespace string
	AuthToken string
}

// WriteMeta is returned by every write: the Raft index it committed at.
type WriteMeta struct{ Index uint64 }

// MaxBlockingQueryTime caps how long a blocking query waits, as Nomad's.
const MaxBlockingQueryTime = 300 * time.Second

// DefaultBlockingQueryTime is used when a blocking query gives no wait.
const DefaultBlockingQueryTime = 300 * time.Second

// --- Client <-> server (gRPC) ---

// NodeRegisterRequest registers or re-registers a client node.
type NodeRegisterRequest struct {
	Node *Node
	WriteRequest
}

// NodeUpdateStatusRequest is a client's heartbeat or status change.
type NodeUpdateStatusRequest struct {
	NodeID    string
	SecretID  string
	Status    string
	UpdatedAt int64
	WriteRequest
}

// NodeUpdateResponse answers register and heartbeat calls.
type NodeUpdateResponse struct {
	// HeartbeatTTL is how long the server waits for the next heartbeat before
	// marking the node down.
	HeartbeatTTL  time.Duration
	EvalIDs       []string
	LeaderRPCAddr string
	// Servers lists every server's RPC address, so clients can fail over.
	Servers []string
	WriteMeta
}

// NodeSpecificRequest names one node.
type NodeSpecificRequest struct {
	NodeID   string
	SecretID string
	QueryOptions
}

// NodeClientAllocsResponse maps the node's allocation IDs to their
// AllocModifyIndex, so the client fetches only what changed.
type NodeClientAllocsResponse struct {
	Allocs map[string]uint64
	QueryMeta
}

// AllocsGetRequest fetches allocations by ID, with their jobs.
type AllocsGetRequest struct {
	AllocIDs []string
	QueryOptions
}

// AllocsGetResponse carries the allocations asked for.
type AllocsGetResponse struct {
	Allocs []*Allocation
	QueryMeta
}

// AllocUpdateRequest carries client-side allocation updates (ClientStatus,
// TaskStates) from a client, batched.
type AllocUpdateRequest struct {
	Alloc []*Allocation
	// Evals are created with the update, e.g. to reschedule failed allocs.
	Evals []*Evaluation
	WriteRequest
}

// GenericResponse answers writes that return nothing but an index.
type GenericResponse struct{ WriteMeta }

// --- API-level requests, also the Raft commands they become ---

// JobRegisterRequest registers a job version and its evaluation.
type JobRegisterRequest struct {
	Job *Job
	// EnforceIndex makes the register fail unless the job's current
	// JobModifyIndex equals JobModifyIndex (0 means "must not exist").
	EnforceIndex   bool
	JobModifyIndex uint64
	Eval           *Evaluation
	WriteRequest
}

// JobRegisterResponse answers a job registration.
type JobRegisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	Warnings        string
	WriteMeta
}

// JobDeregisterRequest stops (or with Purge, deletes) a job.
type JobDeregisterRequest struct {
	JobID     string
	Namespace string
	Purge     bool
	Eval      *Evaluation
	WriteRequest
}

// JobDeregisterResponse answers a job deregistration.
type JobDeregisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	WriteMeta
}

// EvalUpdateRequest upserts evaluations.
type EvalUpdateRequest struct {
	Evals     []*Evaluation
	EvalToken string
	WriteRequest
}

// EvalDeleteRequest removes evaluations and allocations (garbage collection).
type EvalDeleteRequest struct {
	Evals  []string
	Allocs []string
	WriteRequest
}

// ApplyPlanResultsRequest commits a plan's result and the eval updates that
// came out of it.
type ApplyPlanResultsRequest struct {
	// AllocsStopped are stops (DesiredStatus stop/evict) of existing allocs.
	AllocsStopped []*Allocation
	// AllocsUpdated are new placements and in-place updates.
	AllocsUpdated     []*Allocation
	AllocsPreempted   []*Allocation
	Job               *Job
	Deployment        *Deployment
	DeploymentUpdates []*DeploymentStatusUpdate
	EvalID            string
	// PreemptionEvals re-evaluate jobs that lost allocations to preemption.
	PreemptionEvals []*Evaluation
	WriteRequest
}

// JobSummary counts a job's allocations by status, per task group.
type JobSummary struct {
	JobID       string
	Namespace   string
	Summary     map[string]TaskGroupSummary
	CreateIndex uint64
	ModifyIndex uint64
}

// TaskGroupSummary counts one group's allocations.
type TaskGroupSummary struct {
	Queued   int
	Complete int
	Failed   int
	Running  int
	Starting int
	Lost     int
	Unknown  int
}
