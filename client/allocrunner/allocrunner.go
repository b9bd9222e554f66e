// Package allocrunner runs one allocation on a client: it builds the
// allocation directory, starts a task runner per task of the group (all
// at once; lifecycle hooks come later), derives the allocation's client
// status from its tasks' states, and stops the tasks when the servers
// set the allocation's desired status to stop or evict.
//
// Client status from task states:
//
//	any task failed            -> failed (the other tasks are killed)
//	else any task running      -> running
//	else any task pending      -> pending
//	else (all dead, none failed) -> complete
package allocrunner

import (
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/state"
	"github.com/droverhq/drover/client/taskenv"
	"github.com/droverhq/drover/client/taskrunner"
	"github.com/droverhq/drover/structs"
)

// Config is what an alloc runner needs.
type Config struct {
	Alloc *structs.Allocation // with Job set
	Node  *structs.Node       // for the task env and interpolation
	// AllocRoot is the directory holding every alloc's dir (<DataDir>/alloc).
	AllocRoot string
	Region    string
	Drivers   map[string]drivers.Driver
	DB        state.DB
	// HostEnv is the client's filtered environment given to tasks.
	HostEnv map[string]string
	Logger  *slog.Logger
	Now     func() time.Time
	// After is passed to task runners for restart delays; nil is time.After.
	After func(time.Duration) <-chan time.Time
	// OnUpdate is called when the alloc's client state may have changed,
	// from task runner goroutines; it must not block. The caller reads
	// ClientUpdate when it is ready to report.
	OnUpdate func()
}

// AllocRunner runs one allocation.
type AllocRunner struct {
	cfg    Config
	id     string
	dir    allocDir
	logger *slog.Logger
	waitCh chan struct{} // closed when every task runner has ended

	mu         sync.Mutex
	alloc      *structs.Allocation               // latest from the servers; guarded by mu
	runners    map[string]*taskrunner.TaskRunner // by task name; guarded by mu
	stopReason string                            // set once a stop was asked; guarded by mu
	detached   bool                              // guarded by mu
}

// New builds an alloc runner and its task runners; nothing runs until Run.
func New(cfg Config) *AllocRunner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OnUpdate == nil {
		cfg.OnUpdate = func() {}
	}
	ar := &AllocRunner{
		cfg: cfg, id: cfg.Alloc.ID, alloc: cfg.Alloc,
		dir:     allocDir{root: filepath.Join(cfg.AllocRoot, cfg.Alloc.ID)},
		logger:  cfg.Logger.With("alloc_id", cfg.Alloc.ID),
		waitCh:  make(chan struct{}),
		runners: map[string]*taskrunner.TaskRunner{},
	}
	setupErr := ar.dir.build()
	for _, task := range ar.tasks() {
		ar.runners[task.Name] = ar.newTaskRunner(task, setupErr)
	}
	return ar
}

// tasks are the alloc's group's tasks.
func (ar *AllocRunner) tasks() []*structs.Task {
	a := ar.cfg.Alloc
	if a.Job == nil {
		return nil
	}
	for _, tg := range a.Job.TaskGroups {
		if tg.Name == a.TaskGroup {
			return tg.Tasks
		}
	}
	return nil
}

// newTaskRunner prepares a task's directory, environment and driver config.
func (ar *AllocRunner) newTaskRunner(task *structs.Task, setupErr error) *taskrunner.TaskRunner {
	var tc *drivers.TaskConfig
	if setupErr == nil {
		tc, setupErr = ar.dir.buildTask(task.Name)
	}
	if setupErr == nil {
		env := taskenv.Build(&taskenv.Params{
			Alloc: ar.cfg.Alloc, Task: task, Node: ar.cfg.Node, Region: ar.cfg.Region,
			AllocDir: tc.AllocDir, TaskDir: tc.TaskDir, LocalDir: tc.LocalDir, SecretsDir: tc.SecretsDir,
			HostEnv: ar.cfg.HostEnv,
		})
		a := ar.cfg.Alloc
		tc.AllocID, tc.Name, tc.TaskGroupName, tc.User = a.ID, task.Name, a.TaskGroup, task.User
		tc.JobName = a.JobID
		if a.Job != nil {
			tc.JobName = a.Job.Name
		}
		tc.Env, tc.Config = env.Map(), env.Config(task.Config)
		tc.Resources = taskResources(a, task)
		tc.Logs = ar.logConfig(task)
		tc.Mounts, setupErr = ar.volumeMounts(task)
	}
	return taskrunner.New(taskrunner.Config{
		Alloc: ar.cfg.Alloc, Task: task, Driver: ar.cfg.Drivers[task.Driver], TaskConfig: tc, SetupErr: setupErr,
		DB: ar.cfg.DB, Logger: ar.cfg.Logger, Now: ar.cfg.Now, After: ar.cfg.After, OnUpdate: ar.cfg.OnUpdate,
	})
}

// logConfig is where the task's stdout and stderr go: rotated files in
// alloc/logs per its logs block (nil when logs are disabled: the driver
// then writes the unrotated paths).
func (ar *AllocRunner) logConfig(task *structs.Task) *drivers.LogConfig {
	lc := &drivers.LogConfig{Dir: ar.dir.logs(), MaxFiles: structs.DefaultLogMaxFiles, MaxFileSizeMB: structs.DefaultLogMaxFileSizeMB}
	if l := task.LogConfig; l != nil {
		if l.Disabled {
			return nil
		}
		if l.MaxFiles > 0 {
			lc.MaxFiles = l.MaxFiles
		}
		if l.MaxFileSizeMB > 0 {
			lc.MaxFileSizeMB = l.MaxFileSizeMB
		}
	}
	return lc
}

// volumeMounts resolves the task's volume_mount blocks: each names a
// group volume of type "host" whose source is one of this client's
// host_volume entries. A mount is read-only if the mount, the volume
// request or the client's host volume says so.
func (ar *AllocRunner) volumeMounts(task *structs.Task) ([]drivers.MountConfig, error) {
	if len(task.VolumeMounts) == 0 {
		return nil, nil
	}
	var groupVols map[string]*structs.VolumeRequest
	for _, tg := range ar.cfg.Alloc.Job.TaskGroups {
		if tg.Name == ar.cfg.Alloc.TaskGroup {
			groupVols = tg.Volumes
		}
	}
	var hostVols map[string]*structs.ClientHostVolumeConfig
	if ar.cfg.Node != nil {
		hostVols = ar.cfg.Node.HostVolumes
	}
	out := make([]drivers.MountConfig, 0, len(task.VolumeMounts))
	for _, m := range task.VolumeMounts {
		req := groupVols[m.Volume]
		if req == nil {
			return nil, fmt.Errorf("task %q: volume_mount: the group has no volume %q", task.Name, m.Volume)
		}
		if req.Type != "" && req.Type != "host" {
			return nil, fmt.Errorf("task %q: volume %q: type %q is not supported: only \"host\" volumes are", task.Name, m.Volume, req.Type)
		}
		hv := hostVols[req.Source]
		if hv == nil {
			return nil, fmt.Errorf("task %q: volume %q: this client has no host_volume %q", task.Name, m.Volume, req.Source)
		}
		out = append(out, drivers.MountConfig{HostPath: hv.Path, TaskPath: m.Destination,
			ReadOnly: m.ReadOnly || req.ReadOnly || hv.ReadOnly})
	}
	return out, nil
}

// taskResources is what the scheduler granted the task, else what it asked.
func taskResources(a *structs.Allocation, t *structs.Task) drivers.Resources {
	var r drivers.Resources
	if t.Resources != nil {
		r = drivers.Resources{CPUMHz: int64(t.Resources.CPU), MemoryMB: int64(t.Resources.MemoryMB), MemoryMaxMB: int64(t.Resources.MemoryMaxMB)}
	}
	if a.AllocatedResources != nil {
		if tr := a.AllocatedResources.Tasks[t.Name]; tr != nil {
			r = drivers.Resources{CPUMHz: tr.Cpu.CpuShares, MemoryMB: tr.Memory.MemoryMB, MemoryMaxMB: tr.Memory.MemoryMaxMB}
		}
	}
	return r
}

// ID is the allocation's ID.
func (ar *AllocRunner) ID() string { return ar.id }

// Restore loads the task runners' state saved by an earlier client process.
func (ar *AllocRunner) Restore() error {
	for _, tr := range ar.taskRunners() {
		if err := tr.Restore(); err != nil {
			return err
		}
	}
	return nil
}

func (ar *AllocRunner) taskRunners() []*taskrunner.TaskRunner {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return slices.Collect(maps.Values(ar.runners))
}

// Run runs every task and returns when all have ended (or were detached).
func (ar *AllocRunner) Run() {
	defer close(ar.waitCh)
	now := ar.cfg.Now()
	ar.mu.Lock()
	runners := ar.runners
	ar.mu.Unlock()
	var wg sync.WaitGroup
	for name, tr := range runners {
		if len(tr.State().Events) == 0 { // a fresh task, not a restored one
			tr.EmitEvent(taskrunner.ReceivedEvent(now))
			tr.EmitEvent(taskrunner.SetupEvent(now))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr.Run()
			ar.taskEnded(name, tr)
		}()
	}
	wg.Wait()
	ar.cfg.OnUpdate()
}

// taskEnded kills the siblings of a failed task, and of a leader task, as
// the group cannot do its job without them.
func (ar *AllocRunner) taskEnded(name string, tr *taskrunner.TaskRunner) {
	ar.mu.Lock()
	detached := ar.detached
	ar.mu.Unlock()
	if detached {
		return
	}
	st := tr.State()
	if st.State != structs.TaskStateDead {
		return
	}
	switch {
	case st.Failed:
		ar.killAll("Sibling task " + name + " failed")
	case ar.isLeader(name):
		ar.killAll("Leader task " + name + " is dead")
	}
}

func (ar *AllocRunner) isLeader(name string) bool {
	for _, t := range ar.tasks() {
		if t.Name == name {
			return t.Leader
		}
	}
	return false
}

// killAll asks every task runner to stop.
func (ar *AllocRunner) killAll(reason string) {
	for _, tr := range ar.taskRunners() {
		tr.Kill(reason)
	}
}

// Kill stops every task; the runner ends once they have stopped.
func (ar *AllocRunner) Kill(reason string) { ar.killAll(reason) }

// Destroy removes the allocation's directory. Call it after WaitCh. The
// drivers unmount what they mounted there when they destroy their tasks;
// anything still mounted below the dir (a driver that failed halfway) is
// detached first, so that removing the dir never reaches into a mount.
func (ar *AllocRunner) Destroy() error {
	if err := unmountBelow(ar.dir.root); err != nil {
		return fmt.Errorf("remove alloc dir of %s: %w", ar.id, err)
	}
	if err := os.RemoveAll(ar.dir.root); err != nil {
		return fmt.Errorf("remove alloc dir of %s: %w", ar.id, err)
	}
	return nil
}

// Update gives the runner the servers' newest version of the alloc. A
// desired status of stop or evict stops the tasks.
func (ar *AllocRunner) Update(a *structs.Allocation) {
	ar.mu.Lock()
	ar.alloc = a
	stop := a.DesiredStatus == structs.AllocDesiredStatusStop || a.DesiredStatus == structs.AllocDesiredStatusEvict
	first := stop && ar.stopReason == ""
	if first {
		ar.stopReason = "alloc desired status is " + a.DesiredStatus
		if a.DesiredDescription != "" {
			ar.stopReason += ": " + a.DesiredDescription
		}
	}
	reason := ar.stopReason
	ar.mu.Unlock()
	if ar.cfg.DB != nil {
		if err := ar.cfg.DB.PutAllocation(a); err != nil {
			ar.logger.Warn("persist alloc", "error", err)
		}
	}
	if first {
		ar.logger.Info("stopping alloc", "reason", reason)
		ar.killAll(reason)
	}
}

// Alloc returns the latest alloc from the servers (shared: do not modify).
func (ar *AllocRunner) Alloc() *structs.Allocation {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.alloc
}

// Detach ends the runner without stopping tasks (client shutdown).
func (ar *AllocRunner) Detach() {
	ar.mu.Lock()
	ar.detached = true
	ar.mu.Unlock()
	for _, tr := range ar.taskRunners() {
		tr.Detach()
	}
}

// WaitCh is closed when Run has returned.
func (ar *AllocRunner) WaitCh() <-chan struct{} { return ar.waitCh }

// TaskStates returns a copy of every task's state.
func (ar *AllocRunner) TaskStates() map[string]*structs.TaskState {
	out := map[string]*structs.TaskState{}
	ar.mu.Lock()
	defer ar.mu.Unlock()
	for name, tr := range ar.runners {
		out[name] = tr.State()
	}
	return out
}

// ClientUpdate is what the client reports for this alloc: only ID,
// ClientStatus, ClientDescription and TaskStates are set.
func (ar *AllocRunner) ClientUpdate() *structs.Allocation {
	states := ar.TaskStates()
	status, desc := ClientStatus(states)
	return &structs.Allocation{ID: ar.id, ClientStatus: status, ClientDescription: desc, TaskStates: states}
}

// ClientStatus derives an alloc's client status from its task states.
func ClientStatus(states map[string]*structs.TaskState) (status, description string) {
	var failed, running, pending, dead int
	for _, s := range states {
		switch {
		case s.State == structs.TaskStateDead && s.Failed:
			failed++
		case s.State == structs.TaskStateDead:
			dead++
		case s.State == structs.TaskStateRunning:
			running++
		default:
			pending++
		}
	}
	switch {
	case failed > 0:
		return structs.AllocClientStatusFailed, "Failed tasks"
	case running > 0:
		return structs.AllocClientStatusRunning, "Tasks are running"
	case pending > 0:
		return structs.AllocClientStatusPending, "No tasks have started"
	case dead > 0:
		return structs.AllocClientStatusComplete, "All tasks have completed"
	}
	return structs.AllocClientStatusPending, "No tasks"
}
