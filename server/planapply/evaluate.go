package planapply

import (
	"fmt"
	"maps"
	"slices"

	"github.com/droverhq/drover/structs"
)

// State is the part of a state snapshot the applier reads; the scheduler's
// State (and so a state store snapshot) satisfies it.
type State interface {
	Index() uint64
	NodeByID(id string) *structs.Node
	AllocsByNode(nodeID string) []*structs.Allocation
}

// Evaluate decides which part of plan still holds on state (the newest
// state), node by node. It returns the committable result; RefreshIndex is
// set when some node was rejected. rejected names each rejected node's
// reason, for logs.
func Evaluate(state State, plan *structs.Plan) (result *structs.PlanResult, rejected map[string]string) {
	result = &structs.PlanResult{
		NodeUpdate:        map[string][]*structs.Allocation{},
		NodeAllocation:    map[string][]*structs.Allocation{},
		NodePreemptions:   map[string][]*structs.Allocation{},
		Deployment:        plan.Deployment,
		DeploymentUpdates: plan.DeploymentUpdates,
	}
	rejected = map[string]string{}
	for _, nodeID := range planNodes(plan) {
		if ok, reason := evaluateNode(state, plan, nodeID); !ok {
			rejected[nodeID] = reason
			if plan.AllAtOnce {
				return rejectAll(state), rejected
			}
			continue
		}
		copyNode(result, plan, nodeID)
	}
	if len(rejected) > 0 {
		result.RefreshIndex = state.Index()
	}
	return result, rejected
}

// rejectAll is the result of an all-at-once plan that did not fully fit.
func rejectAll(state State) *structs.PlanResult {
	return &structs.PlanResult{RefreshIndex: state.Index()}
}

// planNodes lists every node the plan touches, sorted for determinism.
func planNodes(plan *structs.Plan) []string {
	set := map[string]struct{}{}
	for _, m := range []map[string][]*structs.Allocation{plan.NodeUpdate, plan.NodeAllocation, plan.NodePreemptions} {
		for id := range m {
			set[id] = struct{}{}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func copyNode(result *structs.PlanResult, plan *structs.Plan, nodeID string) {
	if a := plan.NodeUpdate[nodeID]; len(a) > 0 {
		result.NodeUpdate[nodeID] = a
	}
	if a := plan.NodeAllocation[nodeID]; len(a) > 0 {
		result.NodeAllocation[nodeID] = a
	}
	if a := plan.NodePreemptions[nodeID]; len(a) > 0 {
		result.NodePreemptions[nodeID] = a
	}
}

// evaluateNode checks one node: stops alone always apply; placements need a
// ready, eligible node on which the allocations left after the plan's stops
// and preemptions, plus the placements, fit.
func evaluateNode(state State, plan *structs.Plan, nodeID string) (bool, string) {
	placements := plan.NodeAllocation[nodeID]
	if len(placements) == 0 {
		return true, ""
	}
	node := state.NodeByID(nodeID)
	if node == nil {
		return false, "node does not exist"
	}
	if !node.Ready() {
		return false, fmt.Sprintf("node is not ready for placements (status %s, eligibility %s, drain %v)",
			node.Status, node.SchedulingEligibility, node.Drain)
	}
	fit, dim, _, err := structs.AllocsFit(node, proposedAllocs(state, plan, nodeID))
	if err != nil {
		return false, err.Error()
	}
	if !fit {
		return false, "exhausted " + dim
	}
	return true, ""
}

// proposedAllocs is what would run on the node after the plan: its live
// allocations, minus those the plan stops, preempts or replaces in place,
// plus the plan's placements. A node without allocations (the common case
// when a big job lands) costs no lookup set.
func proposedAllocs(state State, plan *structs.Plan, nodeID string) []*structs.Allocation {
	placements := plan.NodeAllocation[nodeID]
	existing := state.AllocsByNode(nodeID)
	if len(existing) == 0 {
		return placements
	}
	remove := map[string]struct{}{}
	for _, list := range [][]*structs.Allocation{plan.NodeUpdate[nodeID], plan.NodePreemptions[nodeID], placements} {
		for _, a := range list {
			remove[a.ID] = struct{}{}
		}
	}
	out := make([]*structs.Allocation, 0, len(existing)+len(placements))
	for _, a := range existing {
		if _, gone := remove[a.ID]; gone || a.TerminalStatus() {
			continue
		}
		out = append(out, a)
	}
	return append(out, placements...)
}
