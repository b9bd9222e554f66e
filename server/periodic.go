package server

// The periodic dispatcher launches periodic jobs on their cron schedule.
// It runs on the leader only: runPeriodic is a leader loop, so it is
// rebuilt from state whenever a server gains leadership and stops when it
// loses it. It watches the jobs table, so registering, updating, stopping
// and purging a periodic job (through any server, or a snapshot restore)
// reaches it without hooks.
//
// A launch registers a child job <parent>/periodic-<unix> through Raft
// with its evaluation (JobRegister), exactly as a user's registration. The
// launch time is encoded in the child's ID, so a new leader finds the last
// launch from the children in state: it launches once at once if a launch
// fell due while there was no leader, and never launches one time twice.

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// periodicMaxWait bounds one sleep of the dispatcher, so that a clock that
// jumps (or a test's fake clock) is noticed without a kick.
const periodicMaxWait = time.Second

// periodicRescanDelay coalesces bursts of job table changes (every
// allocation update can change a job's status) into one rescan.
const periodicRescanDelay = 50 * time.Millisecond

// periodicRetry spaces attempts at a launch whose registration failed.
const periodicRetry = 5 * time.Second

// periodicDispatcher is the leader's schedule of periodic launches. Its
// zero value is ready; runPeriodic owns the schedule while it runs.
type periodicDispatcher struct {
	mu      sync.Mutex
	tracked map[nsID]*periodicEntry // guarded by mu; nil while not leader
	kick    chan struct{}           // guarded by mu; wakes runPeriodic

	// dispatchMu serializes dispatches, so two with one idempotency token
	// cannot both create a child.
	dispatchMu sync.Mutex
}

type nsID struct{ ns, id string }

// periodicEntry is one tracked periodic job and its next launch.
type periodicEntry struct {
	job  *structs.Job
	next time.Time // zero: never again
}

// PeriodicNext returns the next scheduled launch of a tracked periodic
// job, and whether this server (as leader) tracks it.
func (s *Server) PeriodicNext(namespace, jobID string) (time.Time, bool) {
	d := &s.periodic
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.tracked[nsID{namespace, jobID}]
	if !ok {
		return time.Time{}, false
	}
	return e.next, true
}

// kickPeriodic wakes the dispatcher to look at the clock and state now.
func (s *Server) kickPeriodic() {
	d := &s.periodic
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.kick == nil {
		return
	}
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// runPeriodic is the dispatcher's leader loop.
func (s *Server) runPeriodic(ctx context.Context) {
	d := &s.periodic
	kick := make(chan struct{}, 1)
	d.mu.Lock()
	d.tracked, d.kick = map[nsID]*periodicEntry{}, kick
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.tracked, d.kick = nil, nil
		d.mu.Unlock()
	}()
	logger := s.logger.With("component", "periodic")
	for {
		ws := memdb.NewWatchSet()
		if err := s.syncPeriodic(ws); err != nil {
			logger.Error("read periodic jobs", "error", err)
		}
		s.launchDue(ctx, logger)
		wait := periodicMaxWait
		if next := s.earliestPeriodic(); !next.IsZero() {
			if w := next.Sub(s.now()); w < wait {
				wait = max(w, 0)
			}
		}
		timer := time.NewTimer(wait)
		watchCtx, cancel := context.WithCancel(ctx)
		changed := ws.WatchCh(watchCtx)
		select {
		case <-ctx.Done():
		case <-changed:
			select { // let a burst of writes settle
			case <-ctx.Done():
			case <-time.After(periodicRescanDelay):
			}
		case <-kick:
		case <-timer.C:
		}
		timer.Stop()
		cancel()
		if ctx.Err() != nil {
			return
		}
	}
}

// syncPeriodic makes the tracked set match the active periodic jobs in
// state: new or changed jobs are scheduled from their last launch, gone or
// stopped ones dropped.
func (s *Server) syncPeriodic(ws memdb.WatchSet) error {
	jobs, err := s.state.JobsList(ws, allNamespaces)
	if err != nil {
		return err
	}
	d := &s.periodic
	d.mu.Lock()
	defer d.mu.Unlock()
	seen := make(map[nsID]bool, len(d.tracked))
	for _, j := range jobs {
		if !j.IsPeriodicActive() {
			continue
		}
		key := nsID{j.Namespace, j.ID}
		seen[key] = true
		if e, ok := d.tracked[key]; ok && e.job.JobModifyIndex == j.JobModifyIndex {
			continue
		}
		next, err := j.Periodic.Next(s.lastPeriodicLaunch(j))
		if err != nil {
			s.logger.Error("periodic job has an invalid schedule; not launching it", "job_id", j.ID, "namespace", j.Namespace, "error", err)
		}
		d.tracked[key] = &periodicEntry{job: j, next: next}
	}
	for key := range d.tracked {
		if !seen[key] {
			delete(d.tracked, key)
		}
	}
	return nil
}

// lastPeriodicLaunch is when job last launched, from its children's IDs,
// or when it was last registered if that is later (or it never launched).
func (s *Server) lastPeriodicLaunch(job *structs.Job) time.Time {
	last := time.Unix(0, job.SubmitTime)
	children, err := s.state.JobsByIDPrefix(nil, job.Namespace, job.ID+structs.PeriodicLaunchSuffix)
	if err != nil {
		return last
	}
	for _, c := range children {
		if c.ParentID != job.ID {
			continue
		}
		if t, ok := structs.LaunchTimeOfChild(job.ID, c.ID); ok && t.After(last) {
			last = t
		}
	}
	return last
}

// earliestPeriodic is the soonest scheduled launch, or zero.
func (s *Server) earliestPeriodic() time.Time {
	d := &s.periodic
	d.mu.Lock()
	defer d.mu.Unlock()
	var best time.Time
	for _, e := range d.tracked {
		if !e.next.IsZero() && (best.IsZero() || e.next.Before(best)) {
			best = e.next
		}
	}
	return best
}

// launchDue launches every job whose next launch has come and schedules
// its following one (from now: launches missed while there was no leader
// are launched once, not once each).
func (s *Server) launchDue(ctx context.Context, logger *slog.Logger) {
	now := s.now()
	d := &s.periodic
	d.mu.Lock()
	var due []*periodicEntry
	for _, e := range d.tracked {
		if !e.next.IsZero() && !e.next.After(now) {
			due = append(due, e)
		}
	}
	d.mu.Unlock()
	for _, e := range due {
		launch := e.next
		next := now
		switch running, err := s.hasRunningChild(e.job); {
		case err != nil:
			logger.Error("check periodic children", "job_id", e.job.ID, "error", err)
		case running && e.job.Periodic.ProhibitOverlap:
			logger.Info("skipping periodic launch: a previous child is still running (prohibit_overlap)",
				"job_id", e.job.ID, "launch", launch)
		default:
			if _, err := s.launchPeriodicChild(ctx, e.job, launch); err != nil {
				logger.Error("periodic launch failed; retrying", "job_id", e.job.ID, "launch", launch, "error", err)
				d.mu.Lock()
				e.next = now.Add(periodicRetry)
				d.mu.Unlock()
				continue
			}
			logger.Info("launched periodic job", "job_id", e.job.ID, "launch", launch)
		}
		n, err := e.job.Periodic.Next(next)
		if err != nil {
			logger.Error("periodic schedule", "job_id", e.job.ID, "error", err)
		}
		d.mu.Lock()
		e.next = n
		d.mu.Unlock()
	}
}

// hasRunningChild reports whether a child of job still has a non-terminal
// allocation or evaluation.
func (s *Server) hasRunningChild(job *structs.Job) (bool, error) {
	children, err := s.state.JobsByIDPrefix(nil, job.Namespace, job.ID+"/")
	if err != nil {
		return false, err
	}
	for _, c := range children {
		if c.ParentID != job.ID {
			continue
		}
		allocs, err := s.state.AllocsByJob(nil, c.Namespace, c.ID)
		if err != nil {
			return false, err
		}
		for _, a := range allocs {
			if !a.TerminalStatus() {
				return true, nil
			}
		}
		evals, err := s.state.EvalsByJob(nil, c.Namespace, c.ID)
		if err != nil {
			return false, err
		}
		for _, e := range evals {
			if !e.TerminalStatus() {
				return true, nil
			}
		}
	}
	return false, nil
}

// launchPeriodicChild registers parent's child for launch time t, with its
// evaluation.
func (s *Server) launchPeriodicChild(ctx context.Context, parent *structs.Job, t time.Time) (*structs.PeriodicForceResponse, error) {
	child := deriveChild(parent, structs.PeriodicChildID(parent.ID, t))
	resp, err := s.JobRegister(ctx, &structs.JobRegisterRequest{Job: child,
		WriteRequest: structs.WriteRequest{Namespace: parent.Namespace}})
	if err != nil {
		return nil, fmt.Errorf("launch periodic job %q: %w", parent.ID, err)
	}
	return &structs.PeriodicForceResponse{EvalID: resp.EvalID, EvalCreateIndex: resp.EvalCreateIndex,
		ChildJobID: child.ID, WriteMeta: resp.WriteMeta}, nil
}

// deriveChild is a launchable copy of a periodic or parameterized parent.
func deriveChild(parent *structs.Job, id string) *structs.Job {
	c := parent.Copy()
	c.ID, c.Name, c.ParentID = id, id, parent.ID
	c.Periodic, c.ParameterizedJob = nil, nil
	c.Stop, c.Stable, c.Status, c.StatusDescription = false, false, "", ""
	c.Version, c.CreateIndex, c.ModifyIndex, c.JobModifyIndex, c.SubmitTime = 0, 0, 0, 0, 0
	return c
}

// PeriodicForce launches a periodic job now, whatever its schedule and
// prohibit_overlap say (as Nomad's `job periodic force`).
func (s *Server) PeriodicForce(ctx context.Context, req *structs.PeriodicForceRequest) (*structs.PeriodicForceResponse, error) {
	if req == nil || req.JobID == "" {
		return nil, fmt.Errorf("force periodic launch: JobID is required: %w", structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.PeriodicForceResponse](ctx, s, methodPeriodicForce, req); ok {
		return resp, err
	}
	ns := firstNonEmpty(req.Namespace, structs.DefaultNamespace)
	job, err := s.state.JobByID(nil, ns, req.JobID)
	if err != nil {
		return nil, err
	}
	switch {
	case job == nil:
		return nil, fmt.Errorf("force periodic launch: job %q in namespace %q: %w", req.JobID, ns, structs.ErrNotFound)
	case job.Periodic == nil:
		return nil, fmt.Errorf("force periodic launch: job %q is not periodic: %w", req.JobID, structs.ErrInvalid)
	case job.ParameterizedJob != nil:
		return nil, fmt.Errorf("force periodic launch: job %q is parameterized: dispatch it instead: %w", req.JobID, structs.ErrInvalid)
	case job.Stop:
		return nil, fmt.Errorf("force periodic launch: job %q is stopped: run it again first: %w", req.JobID, structs.ErrInvalid)
	}
	return s.launchPeriodicChild(ctx, job, s.now())
}
