package agent

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/droverhq/drover/structs"
)

// clusterAPI is the part of the server the cluster endpoints need
// (membership, Raft, autopilot, snapshots, consistent reads);
// *server.Server implements it. It is asserted at run time so that test
// fakes of serverAPI need not implement it.
type clusterAPI interface {
	Members() []*structs.ServerMember
	Join(addrs []string) (int, error)
	ForceLeave(node string) error
	RaftConfiguration() (*structs.RaftConfigurationResponse, error)
	RaftRemovePeer(ctx context.Context, req *structs.RaftPeerRemoveRequest) (*structs.GenericResponse, error)
	AutopilotGetConfig(ctx context.Context) (*structs.AutopilotConfig, error)
	AutopilotSetConfig(ctx context.Context, req *structs.AutopilotSetConfigRequest) (*structs.AutopilotSetConfigResponse, error)
	SnapshotSave(ctx context.Context, w io.Writer, stale bool) (*structs.SnapshotHeader, error)
	SnapshotRestore(ctx context.Context, r io.Reader) (uint64, error)
	ReadBarrier(ctx context.Context) error
	AutopilotHealth(ctx context.Context) (*structs.AutopilotHealth, error)
}

// clusterRoutes registers the membership, Raft, autopilot and snapshot
// endpoints.
func (s *httpServer) clusterRoutes(mux *http.ServeMux, handle func(string, handlerFunc)) {
	handle("GET /v1/agent/members", s.agentMembers)
	for _, m := range []string{"PUT", "POST"} {
		handle(m+" /v1/agent/join", s.agentJoin)
		handle(m+" /v1/agent/force-leave", s.agentForceLeave)
		handle(m+" /v1/operator/autopilot/configuration", s.operatorAutopilotSet)
		handle(m+" /v1/operator/snapshot", s.operatorSnapshotRestore)
	}
	handle("GET /v1/operator/raft/configuration", s.operatorRaftConfiguration)
	handle("DELETE /v1/operator/raft/peer", s.operatorRaftRemovePeer)
	handle("GET /v1/operator/autopilot/configuration", s.operatorAutopilotGet)
	handle("GET /v1/operator/autopilot/health", s.operatorAutopilotHealth)
	mux.Handle("GET /v1/operator/snapshot", http.HandlerFunc(s.operatorSnapshotSave))
}

// cluster returns the server's cluster API, or the error to answer.
func (s *httpServer) cluster() (clusterAPI, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	c, ok := s.srv.(clusterAPI)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this server does not support cluster operations"}
	}
	return c, nil
}

// consistentRead makes a default read on a follower wait until its state
// has caught up with the leader's; ?stale reads this server's state as it
// is. On the leader, and on servers without the cluster API, it returns
// at once.
func (s *httpServer) consistentRead(r *http.Request) error {
	if _, stale := r.URL.Query()["stale"]; stale || s.srv == nil || s.srv.IsLeader() {
		return nil
	}
	c, ok := s.srv.(clusterAPI)
	if !ok {
		return nil
	}
	return c.ReadBarrier(r.Context())
}

// AgentMembersResponse answers GET /v1/agent/members, in Nomad's shape.
type AgentMembersResponse struct {
	ServerName   string
	ServerRegion string
	ServerDC     string
	Members      []*ServerMember
}

// ServerMember is one server as Serf sees it.
type ServerMember struct {
	Name        string
	Addr        string
	Port        int
	Tags        map[string]string
	Status      string
	Leader      bool
	ID          string
	Region      string
	Datacenter  string
	RPCAddr     string
	RaftAddr    string
	RaftVersion string
	Build       string
}

func (s *httpServer) agentMembers(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	out := &AgentMembersResponse{Members: []*ServerMember{}}
	if a := s.agent; a != nil {
		out.ServerName, out.ServerRegion, out.ServerDC = a.cfg.Name, a.cfg.Region, a.cfg.Datacenter
	}
	for _, m := range c.Members() {
		out.Members = append(out.Members, &ServerMember{Name: m.Name, Addr: m.Addr, Port: m.Port, Tags: m.Tags,
			Status: m.Status, Leader: m.Leader, ID: m.ID, Region: m.Region, Datacenter: m.Datacenter,
			RPCAddr: m.RPCAddr, RaftAddr: m.RaftAddr, RaftVersion: m.RaftVersion, Build: m.Build})
	}
	return out, nil
}

// JoinResponse answers PUT /v1/agent/join, in Nomad's shape.
type JoinResponse struct {
	NumJoined int    `json:"num_joined"`
	Error     string `json:"error"`
}

// agentJoin answers PUT /v1/agent/join?address=A[&address=B]: Serf joins
// the servers at those addresses (port 8648 unless given).
func (s *httpServer) agentJoin(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	addrs := r.URL.Query()["address"]
	if len(addrs) == 0 {
		return nil, badRequest("address is required: PUT /v1/agent/join?address=10.0.0.1:8648 (the Serf address of a server)")
	}
	n, err := c.Join(withDefaultPort(addrs, DefaultSerfPort))
	out := &JoinResponse{NumJoined: n}
	if err != nil {
		out.Error = err.Error()
	}
	return out, nil
}

// agentForceLeave answers PUT /v1/agent/force-leave?node=NAME: a failed
// server is marked left in Serf.
func (s *httpServer) agentForceLeave(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	node := r.URL.Query().Get("node")
	if node == "" {
		return nil, badRequest("node is required: PUT /v1/agent/force-leave?node=NAME (see server members)")
	}
	if err := c.ForceLeave(node); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// RaftConfigurationResponse answers GET /v1/operator/raft/configuration.
type RaftConfigurationResponse struct {
	Servers []*RaftServer
	Index   uint64
}

// RaftServer is one server of the Raft configuration.
type RaftServer struct {
	ID           string
	Node         string
	Address      string
	Leader       bool
	Voter        bool
	RaftProtocol string
}

func (s *httpServer) operatorRaftConfiguration(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	cfg, err := c.RaftConfiguration()
	if err != nil {
		return nil, err
	}
	out := &RaftConfigurationResponse{Servers: []*RaftServer{}, Index: cfg.Index}
	for _, srv := range cfg.Servers {
		out.Servers = append(out.Servers, &RaftServer{ID: srv.ID, Node: srv.Node, Address: srv.Address,
			Leader: srv.Leader, Voter: srv.Voter, RaftProtocol: srv.RaftProtocol})
	}
	s.setReadHeaders(w, max(cfg.Index, 1))
	return out, nil
}

// operatorRaftRemovePeer answers DELETE /v1/operator/raft/peer?address=A
// (or ?id=ID).
func (s *httpServer) operatorRaftRemovePeer(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	req := &structs.RaftPeerRemoveRequest{ID: q.Get("id"), Address: q.Get("address")}
	if req.ID == "" && req.Address == "" {
		return nil, badRequest("address or id is required: DELETE /v1/operator/raft/peer?address=10.0.0.1:8747 (see operator raft list-peers)")
	}
	resp, err := c.RaftRemovePeer(r.Context(), req)
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, resp.Index)
	return struct{}{}, nil
}

// AutopilotConfiguration is the autopilot configuration as the API
// carries it; durations are Go duration strings ("30s").
type AutopilotConfiguration struct {
	CleanupDeadServers    bool
	DeadServerCleanupTime string
	LastContactThreshold  string
	ModifyIndex           uint64
}

func (s *httpServer) operatorAutopilotGet(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	cfg, err := c.AutopilotGetConfig(r.Context())
	if err != nil {
		return nil, err
	}
	s.setReadHeaders(w, max(cfg.ModifyIndex, 1))
	return autopilotOut(cfg), nil
}

func autopilotOut(cfg *structs.AutopilotConfig) *AutopilotConfiguration {
	return &AutopilotConfiguration{CleanupDeadServers: cfg.CleanupDeadServers,
		DeadServerCleanupTime: cfg.DeadServerCleanupTime.String(), LastContactThreshold: cfg.LastContactThreshold.String(),
		ModifyIndex: cfg.ModifyIndex}
}

// operatorAutopilotSet answers PUT /v1/operator/autopilot/configuration
// with true, or false when ?cas=N did not match ModifyIndex.
func (s *httpServer) operatorAutopilotSet(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	var body AutopilotConfiguration
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	req := &structs.AutopilotSetConfigRequest{Config: structs.AutopilotConfig{CleanupDeadServers: body.CleanupDeadServers}}
	for _, d := range []struct {
		key string
		v   string
		dst *time.Duration
	}{
		{"DeadServerCleanupTime", body.DeadServerCleanupTime, &req.Config.DeadServerCleanupTime},
		{"LastContactThreshold", body.LastContactThreshold, &req.Config.LastContactThreshold},
	} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil || v < 0 {
			return nil, badRequest("%s = %q is not a duration: use e.g. \"30s\"", d.key, d.v)
		}
		*d.dst = v
	}
	if v := r.URL.Query().Get("cas"); v != "" {
		idx, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, badRequest("cas=%q is not a number: use the ModifyIndex from a GET of the configuration", v)
		}
		req.CAS, req.Config.ModifyIndex = true, idx
	}
	resp, err := c.AutopilotSetConfig(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return resp.Updated, nil
}

// operatorSnapshotSave answers GET /v1/operator/snapshot with a snapshot
// file (see server/snapshot.go). ?stale saves this server's state without
// catching up with the leader first.
func (s *httpServer) operatorSnapshotSave(w http.ResponseWriter, r *http.Request) {
	c, err := s.cluster()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, stale := r.URL.Query()["stale"]
	hw := &snapshotWriter{w: w}
	hdr, err := c.SnapshotSave(r.Context(), hw, stale)
	if err != nil {
		if !hw.started {
			s.writeError(w, r, err)
			return
		}
		s.logger.Error("snapshot save failed while streaming", "error", err)
		panic(http.ErrAbortHandler) // the client sees a broken download, not a short file
	}
	s.logger.Info("snapshot saved", "index", hdr.Index, "bytes", hdr.Size, "counts", hdr.Counts)
}

// snapshotWriter sets the download's headers before its first byte.
type snapshotWriter struct {
	w       http.ResponseWriter
	started bool
}

func (sw *snapshotWriter) Write(p []byte) (int, error) {
	if !sw.started {
		sw.started = true
		sw.w.Header().Set("Content-Type", "application/octet-stream")
		sw.w.WriteHeader(http.StatusOK)
	}
	return sw.w.Write(p)
}

// SnapshotRestoreResponse answers PUT /v1/operator/snapshot.
type SnapshotRestoreResponse struct {
	Index uint64
}

// maxSnapshotBytes bounds an uploaded snapshot.
const maxSnapshotBytes = 4 << 30

// operatorSnapshotRestore answers PUT /v1/operator/snapshot: the body is
// a snapshot file; a corrupt one is refused with 400 and nothing changes.
func (s *httpServer) operatorSnapshotRestore(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	index, err := c.SnapshotRestore(r.Context(), io.LimitReader(r.Body, maxSnapshotBytes))
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, index)
	return &SnapshotRestoreResponse{Index: index}, nil
}

// OperatorHealthReply answers GET /v1/operator/autopilot/health.
type OperatorHealthReply struct {
	Healthy          bool
	FailureTolerance int
	Servers          []*ServerHealth
}

// ServerHealth is one Raft server's health; LastContact is a duration
// string ("" when unknown).
type ServerHealth struct {
	ID          string
	Name        string
	Address     string
	SerfStatus  string
	Version     string
	Leader      bool
	Voter       bool
	Healthy     bool
	LastContact string
	LastTerm    uint64
	LastIndex   uint64
	Error       string `json:",omitempty"`
}

// operatorAutopilotHealth answers GET /v1/operator/autopilot/health with
// the leader's view of every server's health.
func (s *httpServer) operatorAutopilotHealth(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := s.cluster()
	if err != nil {
		return nil, err
	}
	h, err := c.AutopilotHealth(r.Context())
	if err != nil {
		return nil, err
	}
	out := &OperatorHealthReply{Healthy: h.Healthy, FailureTolerance: h.FailureTolerance, Servers: []*ServerHealth{}}
	for _, sh := range h.Servers {
		lc := ""
		if sh.LastContact >= 0 {
			lc = sh.LastContact.String()
		}
		out.Servers = append(out.Servers, &ServerHealth{ID: sh.ID, Name: sh.Name, Address: sh.Address, SerfStatus: sh.SerfStatus,
			Version: sh.Version, Leader: sh.Leader, Voter: sh.Voter, Healthy: sh.Healthy, LastContact: lc,
			LastTerm: sh.LastTerm, LastIndex: sh.LastIndex, Error: sh.Error})
	}
	return out, nil
}
