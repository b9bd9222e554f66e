package scheduler

import (
	"log/slog"

	"github.com/droverhq/drover/structs"
)

// State is the read-only view of the cluster a scheduler works from: a
// consistent snapshot of the server's state store at one Raft index. It is
// typed, so the scheduler never sees the storage engine and can run on a
// synthetic state in tests and benchmarks. Implementations must be safe to
// call from one goroutine at a time; they never block.
type State interface {
	// Index is the Raft index the snapshot reflects.
	Index() uint64
	// Nodes returns every node, in a stable order.
	Nodes() []*structs.Node
	// NodeByID returns the node or nil.
	NodeByID(id string) *structs.Node
	// JobByID returns the newest version of the job, or nil if it was purged.
	JobByID(namespace, id string) *structs.Job
	// AllocsByJob returns every allocation of the job, terminal ones included.
	AllocsByJob(namespace, jobID string) []*structs.Allocation
	// AllocsByNode returns the allocations on a node, terminal ones included.
	AllocsByNode(nodeID string) []*structs.Allocation
	// EvalByID returns the evaluation or nil.
	EvalByID(id string) *structs.Evaluation
	// SchedulerConfig returns the operator's scheduler configuration
	// (algorithm, preemption, memory oversubscription) as of the snapshot,
	// or nil when none was ever set, which means
	// structs.DefaultSchedulerConfiguration.
	SchedulerConfig() *structs.SchedulerConfiguration
}

// Planner is how a scheduler acts on the world. The server's worker
// implements it; tests use a recording fake. Calls come from the scheduler's
// goroutine and may block on Raft.
type Planner interface {
	// SubmitPlan hands a plan to the plan applier and waits for its result.
	// If the result's RefreshIndex is set, part of the plan was rejected: the
	// returned State is refreshed to at least that index and the scheduler
	// should retry with it.
	SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error)
	// UpdateEval records the evaluation's final status.
	UpdateEval(eval *structs.Evaluation) error
	// CreateEval creates a follow-up or blocked evaluation.
	CreateEval(eval *structs.Evaluation) error
	// ReblockEval puts a blocked evaluation back in the blocked set after it
	// was retried and still could not place everything.
	ReblockEval(eval *structs.Evaluation) error
}

// Scheduler processes one evaluation.
type Scheduler interface {
	Process(eval *structs.Evaluation) error
}

// Factory builds the scheduler for an evaluation's type.
type Factory func(logger *slog.Logger, state State, planner Planner) Scheduler

// ConfigState is the part of State that carries the scheduler
// configuration. Every State implements it; it remains for code that
// asserts it on a State.
type ConfigState interface {
	SchedulerConfig() *structs.SchedulerConfiguration
}

// schedulerConfig returns the state's scheduler configuration, or the
// defaults.
func schedulerConfig(s State) *structs.SchedulerConfiguration {
	if c := s.SchedulerConfig(); c != nil {
		return c
	}
	return structs.DefaultSchedulerConfiguration()
}

// AnnotatingPlanner is implemented by a Planner that wants every plan
// submitted, even one that changes nothing, for its annotations (the
// server's `job plan` dry run). Other planners only get plans that do
// something.
type AnnotatingPlanner interface {
	Planner
	AnnotatePlan() bool
}
