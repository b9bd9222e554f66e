// Package benchmark measures placement throughput end to end on one
// machine: the real scheduler plans against a snapshot of a real state
// store, and the real plan applier logic (planapply.Applier: re-check every
// node against the newest state, then commit) writes the result into that
// store directly, as every server's FSM would after Raft. There is no Raft,
// network or client.
//
//	synthetic cluster ──► state.StateStore ──snapshot──► scheduler.Process
//	                            ▲                              │ SubmitPlan
//	                            └── UpsertPlanResults ◄── planapply.Applier.Apply
//
// `drover operator scheduler-benchmark` runs it. That command imports this
// package directly, an exception to "command talks only through api/": it
// is a local tool that needs no agent.
package benchmark

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/droverhq/drover/scheduler"
	"github.com/droverhq/drover/server/planapply"
	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// Node and allocation sizes of the benchmark, from the issue.
const (
	NodeCPU      = 4000 // MHz
	NodeMemoryMB = 8192
	AllocCPU     = 100 // MHz
	AllocMemMB   = 128
)

// Datacenters and NodeClasses are spread round-robin over the nodes.
var (
	Datacenters = []string{"dc1", "dc2", "dc3"}
	NodeClasses = []string{"general", "compute", "memory", "storage"}
)

// Config says what to measure.
type Config struct {
	Nodes int
	Count int
	// Spread adds a spread over ${node.datacenter} to the job.
	Spread bool
	// Algorithm is the scheduler algorithm, "" for the default (binpack).
	Algorithm string
	Logger    *slog.Logger
}

// Result is the benchmark's figure. The JSON form is what the CLI prints.
type Result struct {
	Nodes            int     `json:"nodes"`
	Count            int     `json:"count"`
	Placed           int     `json:"placed"`
	Seconds          float64 `json:"seconds"`
	PlacementsPerSec float64 `json:"placements_per_sec"`

	// Where the time went; not part of the printed JSON.
	SchedulerTime time.Duration `json:"-"` // Process minus plan applying
	PlanApplyTime time.Duration `json:"-"` // Evaluate + commit into the store
	Plans         int           `json:"-"`
	Evals         int           `json:"-"`
}

// Cluster is a state store holding the synthetic nodes and the job, ready
// for Place. Build it once and Place once: placing fills the nodes.
type Cluster struct {
	Store *state.StateStore
	Job   *structs.Job
	Eval  *structs.Evaluation
	index uint64
	cfg   Config
}

// Build creates the in-memory state: cfg.Nodes nodes and a service job of
// cfg.Count allocations with its pending evaluation.
func Build(cfg Config) (*Cluster, error) {
	if cfg.Nodes <= 0 || cfg.Count <= 0 {
		return nil, fmt.Errorf("benchmark: -nodes and -count must be positive (got %d and %d): %w", cfg.Nodes, cfg.Count, structs.ErrInvalid)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st, err := state.NewStateStore()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Store: st, cfg: cfg}
	for i := 0; i < cfg.Nodes; i++ {
		c.index++
		if err := st.UpsertNode(c.index, benchNode(i)); err != nil {
			return nil, fmt.Errorf("benchmark: add node %d: %w", i, err)
		}
	}
	if cfg.Algorithm != "" {
		c.index++
		if _, err := st.SchedulerSetConfig(c.index, &structs.SchedulerConfiguration{SchedulerAlgorithm: cfg.Algorithm}, false, 0); err != nil {
			return nil, err
		}
	}
	c.Job = benchJob(cfg.Count, cfg.Spread)
	if err := c.Job.Validate(); err != nil {
		return nil, fmt.Errorf("benchmark: job: %w", err)
	}
	c.Eval = &structs.Evaluation{
		ID: structs.GenerateUUID(), Namespace: c.Job.Namespace, Priority: c.Job.Priority, Type: c.Job.Type,
		TriggeredBy: structs.EvalTriggerJobRegister, JobID: c.Job.ID, Status: structs.EvalStatusPending,
	}
	c.index++
	if err := st.RegisterJob(c.index, c.Job, c.Eval); err != nil {
		return nil, fmt.Errorf("benchmark: register job: %w", err)
	}
	c.Eval, _ = st.EvalByID(nil, c.Eval.ID)
	c.Job, _ = st.JobByID(nil, c.Job.Namespace, c.Job.ID)
	return c, nil
}

// benchNode is node i: 4,000 MHz, 8 GiB, in a datacenter and a class by
// round-robin, with the mock driver.
func benchNode(i int) *structs.Node {
	n := scheduler.MockNode()
	n.Name = fmt.Sprintf("bench-%05d", i)
	n.Datacenter = Datacenters[i%len(Datacenters)]
	n.NodeClass = NodeClasses[i%len(NodeClasses)]
	n.NodeResources.Cpu.CpuShares = NodeCPU
	n.NodeResources.Memory.MemoryMB = NodeMemoryMB
	n.ComputeClass()
	return n
}

// benchJob is one service group of count mock tasks of 100 MHz / 128 MB.
func benchJob(count int, spread bool) *structs.Job {
	j := scheduler.MockServiceJob()
	j.ID, j.Name = "bench", "bench"
	j.Datacenters = append([]string(nil), Datacenters...)
	tg := j.TaskGroups[0]
	tg.Count = count
	tg.EphemeralDisk = &structs.EphemeralDisk{SizeMB: 150}
	task := tg.Tasks[0]
	task.Driver = "mock"
	task.Config = map[string]interface{}{"run_for": "1h"}
	task.Resources = &structs.Resources{CPU: AllocCPU, MemoryMB: AllocMemMB}
	if spread {
		j.Spreads = []*structs.Spread{{Attribute: "${node.datacenter}", Weight: 100}}
	}
	j.Canonicalize()
	return j
}

// Place runs the job's evaluation (and any follow-up evaluation the
// scheduler creates, such as after max plan attempts) and returns the
// figures. Blocked evaluations are not retried: what did not fit stays
// unplaced.
func (c *Cluster) Place() (*Result, error) {
	p := &planner{c: c}
	p.applier = planapply.NewApplier(nil, func() planapply.State { return c.Store.Snapshot().SchedulerState() },
		p.commit, nil, c.cfg.Logger)
	res := &Result{Nodes: c.cfg.Nodes, Count: c.cfg.Count}
	start := time.Now()
	queue := []*structs.Evaluation{c.Eval}
	for len(queue) > 0 && res.Evals < 100 {
		ev := queue[0]
		queue = queue[1:]
		res.Evals++
		sched, err := scheduler.NewScheduler(ev.Type, c.cfg.Logger, c.Store.Snapshot().SchedulerState(), p)
		if err != nil {
			return nil, err
		}
		if err := sched.Process(ev); err != nil {
			return nil, fmt.Errorf("benchmark: process eval: %w", err)
		}
		for _, e := range p.takeCreated() {
			if e.Status == structs.EvalStatusPending {
				queue = append(queue, e)
			}
		}
	}
	elapsed := time.Since(start)
	allocs, err := c.Store.AllocsByJob(nil, c.Job.Namespace, c.Job.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range allocs {
		if !a.TerminalStatus() {
			res.Placed++
		}
	}
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.PlacementsPerSec = float64(res.Placed) / res.Seconds
	}
	res.PlanApplyTime, res.Plans = p.applyTime, p.plans
	res.SchedulerTime = elapsed - p.applyTime
	return res, nil
}

// Run builds the cluster and places the job.
func Run(cfg Config) (*Result, error) {
	c, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	return c.Place()
}

// planner is the scheduler's Planner: plans go through the plan applier's
// logic and are committed straight into the store.
type planner struct {
	c         *Cluster
	applier   *planapply.Applier
	created   []*structs.Evaluation
	applyTime time.Duration
	plans     int
}

var _ scheduler.Planner = (*planner)(nil)

// commit writes a plan result into the store at the next index.
func (p *planner) commit(req *structs.ApplyPlanResultsRequest) (uint64, error) {
	p.c.index++
	return p.c.index, p.c.Store.UpsertPlanResults(p.c.index, req)
}

func (p *planner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	start := time.Now()
	res, err := p.applier.Apply(plan)
	p.applyTime += time.Since(start)
	p.plans++
	if err != nil {
		return nil, nil, err
	}
	return res, p.c.Store.Snapshot().SchedulerState(), nil
}

func (p *planner) UpdateEval(eval *structs.Evaluation) error {
	p.c.index++
	return p.c.Store.UpsertEvals(p.c.index, []*structs.Evaluation{eval})
}

func (p *planner) CreateEval(eval *structs.Evaluation) error {
	p.c.index++
	if err := p.c.Store.UpsertEvals(p.c.index, []*structs.Evaluation{eval}); err != nil {
		return err
	}
	p.created = append(p.created, eval)
	return nil
}

func (p *planner) ReblockEval(eval *structs.Evaluation) error { return p.UpdateEval(eval) }

func (p *planner) takeCreated() []*structs.Evaluation {
	out := p.created
	p.created = nil
	return out
}
