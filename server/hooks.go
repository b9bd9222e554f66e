package server

import (
	"github.com/droverhq/drover/structs"
)

// onApply is the FSM's apply hook: it runs on the FSM goroutine after every
// committed entry, on every server. On the leader it routes new evals to the
// broker or blocked set and turns capacity changes into unblocks; elsewhere
// the disabled queues make it a no-op. It must never block or propose.
func (s *Server) onApply(index uint64, _ structs.MessageType, msg interface{}) {
	if !s.broker.Enabled() {
		return
	}
	switch m := msg.(type) {
	case *structs.JobRegisterRequest:
		s.trackNewEvals(index, m.Eval)
	case *structs.JobDeregisterRequest:
		s.trackNewEvals(index, m.Eval)
	case *structs.EvalUpdateRequest:
		s.trackNewEvals(index, m.Evals...)
	case *structs.AllocUpdateRequest:
		s.trackNewEvals(index, m.Evals...)
		s.unblockForAllocs(index, m.Alloc)
	case *structs.ApplyPlanResultsRequest:
		s.trackNewEvals(index, m.PreemptionEvals...)
	case *structs.NodeRegisterRequest:
		if m.Node != nil {
			s.unblockNode(index, m.Node.ID)
		}
	case *structs.NodeUpdateStatusRequest:
		if m.Status == structs.NodeStatusReady {
			s.unblockNode(index, m.NodeID)
		}
	}
}

// trackNewEvals tracks the stored version of each eval (with its indexes).
func (s *Server) trackNewEvals(index uint64, evals ...*structs.Evaluation) {
	for _, e := range evals {
		if e == nil {
			continue
		}
		stored, err := s.state.EvalByID(nil, e.ID)
		if err != nil || stored == nil {
			stored = e.Copy()
			stored.ModifyIndex = index
		}
		s.trackEval(stored)
	}
}

// trackEval sends a pending eval to the broker and a blocked one to the
// blocked set, canceling the older blocked eval it may replace.
func (s *Server) trackEval(e *structs.Evaluation) {
	switch e.Status {
	case structs.EvalStatusPending:
		s.broker.Enqueue(e)
	case structs.EvalStatusBlocked:
		if old := s.blocked.Block(e); old != nil {
			s.cancelEval(old)
		}
	}
}

// unblockNode wakes blocked evals that may fit on the node, if it is ready.
func (s *Server) unblockNode(index uint64, nodeID string) {
	node, err := s.state.NodeByID(nil, nodeID)
	if err != nil || node == nil || !node.Ready() {
		return
	}
	s.blocked.Unblock(node.ComputedClass, index)
}

// unblockForAllocs wakes blocked evals for the classes of nodes on which
// allocations just ended, since their capacity is free again.
func (s *Server) unblockForAllocs(index uint64, updates []*structs.Allocation) {
	classes := map[string]struct{}{}
	for _, u := range updates {
		if !u.ClientTerminalStatus() {
			continue
		}
		a, err := s.state.AllocByID(nil, u.ID)
		if err != nil || a == nil {
			continue
		}
		node, err := s.state.NodeByID(nil, a.NodeID)
		if err != nil || node == nil {
			continue
		}
		classes[node.ComputedClass] = struct{}{}
	}
	for class := range classes {
		s.blocked.Unblock(class, index)
	}
}
