package server

import (
	"context"
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// nodeRegister registers or re-registers a client node as ready.
func (s *Server) nodeRegister(ctx context.Context, req *structs.NodeRegisterRequest) (*structs.NodeUpdateResponse, error) {
	if req.Node == nil || req.Node.ID == "" {
		return nil, fmt.Errorf("register node: Node.ID is required: %w", structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.NodeUpdateResponse](ctx, s, rpc.FullMethod(rpc.NodeRegister), req); ok {
		return resp, err
	}
	existing, err := s.checkNodeSecret(req.Node.ID, req.Node.SecretID)
	if err != nil {
		return nil, err
	}
	node := s.readyNode(req.Node)
	index, err := s.RaftApply(structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: node, WriteRequest: req.WriteRequest})
	if err != nil {
		return nil, fmt.Errorf("register node %q: %w", node.ID, err)
	}
	stored, err := s.state.NodeByID(nil, node.ID)
	if err != nil {
		return nil, fmt.Errorf("register node %q: %w", node.ID, err)
	}
	if stored != nil && nodeChanged(existing, stored) {
		if evalIndex, err := s.createNodeEvals(node.ID, index); err == nil && evalIndex > 0 {
			index = evalIndex
		}
	}
	return s.nodeResponse(node.ID, index), nil
}

// readyNode is the node as stored: ready, eligible by default, with its
// computed class and the leader's time.
func (s *Server) readyNode(in *structs.Node) *structs.Node {
	node := in.Copy()
	node.Status = structs.NodeStatusReady
	node.StatusUpdatedAt = s.now().Unix()
	if node.SchedulingEligibility == "" {
		node.SchedulingEligibility = structs.NodeSchedulingEligible
	}
	node.Datacenter = firstNonEmpty(node.Datacenter, structs.DefaultDatacenter)
	node.NodePool = firstNonEmpty(node.NodePool, structs.DefaultNodePool)
	node.ComputeClass()
	return node
}

// checkNodeSecret returns the stored node, failing if the caller's secret
// does not match the one the node registered with.
func (s *Server) checkNodeSecret(nodeID, secret string) (*structs.Node, error) {
	existing, err := s.state.NodeByID(nil, nodeID)
	if err != nil {
		return nil, err
	}
	if existing != nil && existing.SecretID != "" && existing.SecretID != secret {
		return nil, fmt.Errorf("node %q: the secret ID does not match the one it registered with: %w",
			nodeID, structs.ErrPermissionDenied)
	}
	return existing, nil
}

// nodeResponse tells a client its TTL and where the servers are.
func (s *Server) nodeResponse(nodeID string, index uint64) *structs.NodeUpdateResponse {
	return &structs.NodeUpdateResponse{
		HeartbeatTTL:  s.heartbeats.reset(nodeID),
		Servers:       s.serverRPCAddrs(),
		LeaderRPCAddr: s.Leader(),
		WriteMeta:     structs.WriteMeta{Index: index},
	}
}

// nodeUpdateStatus is a client's heartbeat: it resets the node's TTL timer
// and writes the status only when it changed.
func (s *Server) nodeUpdateStatus(ctx context.Context, req *structs.NodeUpdateStatusRequest) (*structs.NodeUpdateResponse, error) {
	switch req.Status {
	case structs.NodeStatusReady, structs.NodeStatusDown, structs.NodeStatusInit:
	default:
		return nil, fmt.Errorf("update node %q: status %q is not one of ready, down, initializing: %w",
			req.NodeID, req.Status, structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.NodeUpdateResponse](ctx, s, rpc.FullMethod(rpc.NodeUpdateStatus), req); ok {
		return resp, err
	}
	node, err := s.checkNodeSecret(req.NodeID, req.SecretID)
	if err != nil {
		return nil, err
	}
	if node == nil {
		return nil, fmt.Errorf("update node %q: node is not registered (register it first): %w", req.NodeID, structs.ErrNotFound)
	}
	index := s.state.LatestIndex()
	if node.Status != req.Status {
		if index, err = s.setNodeStatus(req.NodeID, req.Status); err != nil {
			return nil, fmt.Errorf("update node %q status: %w", req.NodeID, err)
		}
	}
	if req.Status == structs.NodeStatusDown {
		s.heartbeats.clear(req.NodeID)
		return &structs.NodeUpdateResponse{Servers: s.serverRPCAddrs(), LeaderRPCAddr: s.Leader(),
			WriteMeta: structs.WriteMeta{Index: index}}, nil
	}
	return s.nodeResponse(req.NodeID, index), nil
}

// nodeGetClientAllocs answers, as a blocking query, which allocations the
// node has and at which AllocModifyIndex, so the client fetches only those
// that changed.
func (s *Server) nodeGetClientAllocs(ctx context.Context, req *structs.NodeSpecificRequest) (*structs.NodeClientAllocsResponse, error) {
	if req.NodeID == "" {
		return nil, fmt.Errorf("get client allocs: NodeID is required: %w", structs.ErrInvalid)
	}
	node, err := s.checkNodeSecret(req.NodeID, req.SecretID)
	if err != nil {
		return nil, err
	}
	if node == nil {
		return nil, fmt.Errorf("get client allocs of node %q: %w", req.NodeID, structs.ErrNotFound)
	}
	resp, index, err := s.state.BlockingQuery(ctx, req.MinQueryIndex, req.MaxQueryTime,
		func(ws memdb.WatchSet, st *state.StateStore) (interface{}, uint64, error) {
			return clientAllocs(ws, st, req.NodeID)
		})
	if err != nil {
		return nil, err
	}
	out := &structs.NodeClientAllocsResponse{Allocs: resp.(map[string]uint64)}
	out.Index, out.KnownLeader = index, s.Leader() != ""
	return out, nil
}

// clientAllocs maps the node's allocation IDs to their AllocModifyIndex.
// The index is the newest ModifyIndex among them, or the allocs table's
// index when the node has none.
func clientAllocs(ws memdb.WatchSet, st *state.StateStore, nodeID string) (interface{}, uint64, error) {
	allocs, err := st.AllocsByNode(ws, nodeID)
	if err != nil {
		return nil, 0, err
	}
	out := make(map[string]uint64, len(allocs))
	var index uint64
	for _, a := range allocs {
		out[a.ID] = a.AllocModifyIndex
		index = max(index, a.ModifyIndex)
	}
	if index == 0 {
		index = st.IndexWatch(ws, state.TableAllocs)
	}
	return out, index, nil
}
