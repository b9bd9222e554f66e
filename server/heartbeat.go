package server

import (
	"sync"
	"time"

	"github.com/droverhq/drover/structs"
)

// heartbeats keeps one timer per node on the leader. A node that does not
// heartbeat within TTL + grace is marked down.
type heartbeats struct {
	ttl, grace time.Duration
	expired    func(nodeID string)

	mu      sync.Mutex // guards the fields below
	enabled bool
	timers  map[string]*time.Timer
}

func newHeartbeats(ttl, grace time.Duration, expired func(string)) *heartbeats {
	return &heartbeats{ttl: ttl, grace: grace, expired: expired, timers: map[string]*time.Timer{}}
}

// setEnabled turns timers on (leader) or off; off stops them all.
func (h *heartbeats) setEnabled(enabled bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.enabled = enabled
	if !enabled {
		for id, t := range h.timers {
			t.Stop()
			delete(h.timers, id)
		}
	}
}

// reset restarts the node's timer and returns the TTL to give the client.
func (h *heartbeats) reset(nodeID string) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.enabled {
		return h.ttl
	}
	if t, ok := h.timers[nodeID]; ok {
		t.Stop()
	}
	ttl := h.scaledTTLLocked()
	h.timers[nodeID] = time.AfterFunc(ttl+h.grace, func() { h.fire(nodeID) })
	return ttl
}

// maxHeartbeatsPerSecond caps the heartbeat load on the leader: with many
// nodes the TTL grows so that all of them together stay under it.
const maxHeartbeatsPerSecond = 50

// scaledTTLLocked is the configured TTL, or longer for large clusters.
func (h *heartbeats) scaledTTLLocked() time.Duration {
	return max(h.ttl, time.Duration(len(h.timers))*time.Second/maxHeartbeatsPerSecond)
}

// clear stops the node's timer (the node went down on purpose).
func (h *heartbeats) clear(nodeID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.timers[nodeID]; ok {
		t.Stop()
		delete(h.timers, nodeID)
	}
}

func (h *heartbeats) fire(nodeID string) {
	h.mu.Lock()
	if !h.enabled {
		h.mu.Unlock()
		return
	}
	delete(h.timers, nodeID)
	h.mu.Unlock()
	h.expired(nodeID)
}

func (h *heartbeats) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.timers)
}

// nodeExpired marks a silent node down and asks the scheduler to replace
// its allocations.
func (s *Server) nodeExpired(nodeID string) {
	logger := s.logger.With("node_id", nodeID)
	logger.Warn("node missed its heartbeat, marking it down")
	if _, err := s.setNodeStatus(nodeID, structs.NodeStatusDown); err != nil {
		logger.Error("mark node down", "error", err)
	}
}

// setNodeStatus writes a node's new status and creates node-update evals
// for the jobs on it, so the scheduler reacts (marks allocs lost, or uses
// the node again).
func (s *Server) setNodeStatus(nodeID, status string) (uint64, error) {
	req := &structs.NodeUpdateStatusRequest{NodeID: nodeID, Status: status, UpdatedAt: s.now().Unix()}
	index, err := s.RaftApply(structs.NodeUpdateStatusRequestType, req)
	if err != nil {
		return 0, err
	}
	if evalIndex, err := s.createNodeEvals(nodeID, index); err != nil {
		return index, err
	} else if evalIndex > 0 {
		index = evalIndex
	}
	return index, nil
}

// createNodeEvals creates one node-update eval per job with live
// allocations on the node and per system or sysbatch job (see
// system_evals.go), so system jobs follow nodes; it returns the index of the
// write, or 0 if there was nothing to evaluate.
func (s *Server) createNodeEvals(nodeID string, nodeIndex uint64) (uint64, error) {
	allocs, err := s.state.AllocsByNode(nil, nodeID)
	if err != nil {
		return 0, err
	}
	system, err := s.systemJobs()
	if err != nil {
		return 0, err
	}
	seen := map[[2]string]bool{}
	var evals []*structs.Evaluation
	add := func(job *structs.Job) {
		key := [2]string{job.Namespace, job.ID}
		if seen[key] {
			return
		}
		seen[key] = true
		e := s.newEval(job, structs.EvalTriggerNodeUpdate)
		e.NodeID, e.NodeModifyIndex = nodeID, nodeIndex
		evals = append(evals, e)
	}
	for _, a := range allocs {
		if a.TerminalStatus() || seen[[2]string{a.Namespace, a.JobID}] {
			continue
		}
		job, err := s.state.JobByID(nil, a.Namespace, a.JobID)
		if err != nil || job == nil {
			continue
		}
		add(job)
	}
	for _, job := range system {
		add(job)
	}
	if len(evals) == 0 {
		return 0, nil
	}
	return s.RaftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: evals})
}

// newEval builds a pending eval of job, stamped with the leader's clock.
func (s *Server) newEval(job *structs.Job, trigger string) *structs.Evaluation {
	now := s.now().UnixNano()
	return &structs.Evaluation{
		ID: structs.GenerateUUID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: trigger, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
		Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
}
