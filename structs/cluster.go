package structs

import "time"

// Server membership, Raft configuration and autopilot: the types servers
// exchange over gRPC and the HTTP API reports.

// Serf member statuses, as Nomad's `server members` prints them.
const (
	MemberStatusAlive   = "alive"
	MemberStatusLeaving = "leaving"
	MemberStatusLeft    = "left"
	MemberStatusFailed  = "failed"
)

// ServerMember is one server as Serf sees it.
type ServerMember struct {
	Name        string
	Addr        string // Serf address (IP)
	Port        int    // Serf port
	Status      string // alive, leaving, left, failed
	Leader      bool
	ID          string // Raft server ID
	Region      string
	Datacenter  string
	RPCAddr     string
	RaftAddr    string
	RaftVersion string
	Build       string
	Expect      int // the member's bootstrap_expect
	Tags        map[string]string
}

// RaftServer is one entry of the Raft configuration.
type RaftServer struct {
	ID      string
	Node    string // Serf member name, when known
	Address string // Raft address
	Leader  bool
	Voter   bool
	// RaftProtocol is the Raft protocol version the server speaks.
	RaftProtocol string
}

// RaftConfigurationResponse answers a read of the Raft configuration.
type RaftConfigurationResponse struct {
	Servers []*RaftServer
	// Index is the Raft index of the configuration.
	Index uint64
}

// RaftPeerRemoveRequest removes a server from the Raft configuration by
// ID or Raft address (one of them).
type RaftPeerRemoveRequest struct {
	ID      string
	Address string
	WriteRequest
}

// AutopilotConfig tells the leader how to manage the Raft configuration.
type AutopilotConfig struct {
	// CleanupDeadServers removes a server that has been failed (or left
	// without being removed) for DeadServerCleanupTime from the Raft
	// configuration, as long as a quorum of voters stays healthy.
	CleanupDeadServers bool
	// DeadServerCleanupTime is how long a server must stay failed before
	// it is removed.
	DeadServerCleanupTime time.Duration
	// LastContactThreshold is how long a follower may go without contact
	// from the leader before it is reported unhealthy.
	LastContactThreshold time.Duration
	// ModifyIndex increases with each set (the configuration lives on the
	// servers, not in Raft: see server/autopilot.go).
	ModifyIndex uint64
}

// Autopilot defaults.
const (
	DefaultDeadServerCleanupTime = 30 * time.Second
	DefaultLastContactThreshold  = 200 * time.Millisecond
)

// DefaultAutopilotConfig is the configuration of a server given none.
func DefaultAutopilotConfig() *AutopilotConfig {
	return &AutopilotConfig{CleanupDeadServers: true, DeadServerCleanupTime: DefaultDeadServerCleanupTime,
		LastContactThreshold: DefaultLastContactThreshold}
}

// AutopilotSetConfigRequest replaces the autopilot configuration; with CAS
// only if the current ModifyIndex equals Config.ModifyIndex.
type AutopilotSetConfigRequest struct {
	Config AutopilotConfig
	CAS    bool
	WriteRequest
}

// AutopilotSetConfigResponse answers a set: Updated is false when a CAS
// did not match.
type AutopilotSetConfigResponse struct {
	Updated bool
	Config  *AutopilotConfig
}

// JobEvaluateRequest creates a new evaluation of a job.
type JobEvaluateRequest struct {
	JobID string
	WriteRequest
}

// JobEvaluateResponse is the evaluation created.
type JobEvaluateResponse struct {
	EvalID string
	WriteMeta
}

// LeaderIndexRequest asks the leader for the newest index its state
// applied, for a consistent read on a follower.
type LeaderIndexRequest struct{}

// LeaderIndexResponse is the leader's applied state index.
type LeaderIndexResponse struct {
	Index uint64
}

// RaftPeersRequest asks a server for its Raft configuration (used before
// bootstrapping, to learn whether a cluster already exists).
type RaftPeersRequest struct{}

// RaftPeersResponse lists the server's Raft peers' addresses; empty when
// it has no Raft configuration yet.
type RaftPeersResponse struct {
	Peers []string
}

// SnapshotHeader opens a snapshot file (see server/snapshot.go): where the
// state was taken and what it holds, with the SHA-256 of the state stream
// that follows it.
type SnapshotHeader struct {
	Format  int
	Index   uint64
	Term    uint64
	Region  string
	Created time.Time
	// SHA256 is the hex SHA-256 of the state stream; Size its length.
	SHA256 string
	Size   int64
	Counts map[string]int
}

// WriteIndex is the Raft index of the write; through embedding, every
// response that carries WriteMeta has it, so a server that forwarded a
// write can wait until its own state has applied it (read your writes).
func (w WriteMeta) WriteIndex() uint64 { return w.Index }

// AllocStopRequest stops one allocation (server to server, when a
// follower forwards `alloc stop` to the leader).
type AllocStopRequest struct {
	AllocID string
	WriteRequest
}

// AllocStopResponse is the evaluation that replaces the allocation.
type AllocStopResponse struct {
	EvalID string
	WriteMeta
}

// RaftStatsRequest asks a server for its own Raft figures.
type RaftStatsRequest struct{}

// RaftStatsResponse is one server's view of its Raft log.
type RaftStatsResponse struct {
	State        string
	Term         uint64
	LastIndex    uint64
	AppliedIndex uint64
	// LastContact is the time since the leader was last heard from (0 on
	// the leader, -1 when never).
	LastContact time.Duration
}

// ServerHealth is one Raft server's health, as the leader's autopilot
// judges it.
type ServerHealth struct {
	ID          string
	Name        string
	Address     string
	SerfStatus  string
	Version     string
	Leader      bool
	Voter       bool
	Healthy     bool
	LastContact time.Duration // -1: unknown
	LastTerm    uint64
	LastIndex   uint64
	// Error says why the server's figures are unknown, if they are.
	Error string
}

// AutopilotHealth is the cluster's health: Healthy when every server is;
// FailureTolerance is how many more voters may fail with a quorum left.
type AutopilotHealth struct {
	Healthy          bool
	FailureTolerance int
	Servers          []*ServerHealth
}
