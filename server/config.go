package server

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
	"github.com/hashicorp/serf/serf"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// Defaults for Config fields left zero.
const (
	DefaultRPCAddr        = "127.0.0.1:8647"
	DefaultHeartbeatTTL   = 10 * time.Second
	DefaultHeartbeatGrace = 10 * time.Second
	// DefaultRetryJoinInterval spaces retry_join attempts.
	DefaultRetryJoinInterval = 30 * time.Second
	// DefaultLeaderWaitTimeout bounds a write's wait for a leader.
	DefaultLeaderWaitTimeout = 5 * time.Second
	// raftPortOffset puts Raft on the RPC port + 100 unless RaftAddr is set.
	raftPortOffset = 100
)

// Config configures a Server.
type Config struct {
	NodeName   string
	Region     string
	Datacenter string
	// DataDir holds raft/ (raft.db and snapshots/).
	DataDir string
	// RPCAddr is the gRPC bind address; ":0" picks a free port.
	RPCAddr string
	// RPCAdvertise is the address clients and servers dial; defaults to the
	// bound address.
	RPCAdvertise string
	// RaftAddr is Raft's TCP bind address; defaults to the RPC host with the
	// RPC port + 100 (port 0 when the RPC port is 0).
	RaftAddr string
	// BootstrapExpect is the number of servers to wait for; 1 bootstraps alone.
	BootstrapExpect int
	// NumSchedulers is the number of scheduler workers; default runtime.NumCPU().
	NumSchedulers int
	// HeartbeatTTL is the heartbeat interval given to clients.
	HeartbeatTTL time.Duration
	// HeartbeatGrace is added to the TTL before a silent node is marked down.
	HeartbeatGrace time.Duration
	Logger         *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RaftConfig, if set, is used as the base Raft configuration (tests use
	// short timeouts); LocalID, NotifyCh and Logger are always overwritten.
	RaftConfig *raft.Config
	// RaftSnapshotThreshold is how many log entries since the last
	// snapshot trigger a new one (0: Raft's default, 8192); RaftTrailingLogs
	// is how many entries a snapshot leaves in the log for slow followers
	// (0: Raft's default, 10240); RaftSnapshotInterval is how often Raft
	// checks the threshold (0: Raft's default, 2m).
	RaftSnapshotThreshold uint64
	RaftTrailingLogs      uint64
	RaftSnapshotInterval  time.Duration

	// SerfAddr is Serf's bind address ("host:port", port 0 picks one). Empty
	// disables Serf: the server then forms a cluster of one.
	SerfAddr string
	// SerfAdvertise is the Serf address other servers dial; defaults to
	// the bound address (an unspecified host becomes Raft's host).
	SerfAdvertise string
	// SerfConfig, if set, is the base Serf configuration (tests use fast
	// gossip timings); names, tags, addresses and the event channel are
	// always overwritten.
	SerfConfig *serf.Config
	// StartJoin are Serf addresses joined once at start; RetryJoin are
	// joined again every RetryJoinInterval until one join succeeds.
	StartJoin         []string
	RetryJoin         []string
	RetryJoinInterval time.Duration
	// EncryptKey is the gossip encryption key (16, 24 or 32 bytes); nil
	// gossips in the clear.
	EncryptKey []byte
	// Autopilot configures dead server cleanup (see autopilot.go); nil
	// means structs.DefaultAutopilotConfig.
	Autopilot *structs.AutopilotConfig
	// LeaderWaitTimeout bounds how long a write on a server without a
	// known leader waits for one before failing with "no cluster leader".
	LeaderWaitTimeout time.Duration
	// Build is the version reported in Serf tags.
	Build string
	// TLS secures the gRPC listener and every dial to another server
	// with mutual TLS; nil is plaintext.
	TLS *rpc.TLS
}

// withDefaults returns a copy of c with every zero field defaulted.
func (c *Config) withDefaults() (*Config, error) {
	out := *c
	if out.DataDir == "" {
		return nil, fmt.Errorf("server config: DataDir is required")
	}
	if out.NodeName == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("server config: NodeName unset and no hostname: %w", err)
		}
		out.NodeName = host
	}
	setDefault(&out.Region, "global")
	setDefault(&out.Datacenter, "dc1")
	setDefault(&out.RPCAddr, DefaultRPCAddr)
	if out.BootstrapExpect <= 0 {
		out.BootstrapExpect = 1
	}
	if out.NumSchedulers <= 0 {
		out.NumSchedulers = runtime.NumCPU()
	}
	if out.HeartbeatTTL <= 0 {
		out.HeartbeatTTL = DefaultHeartbeatTTL
	}
	if out.HeartbeatGrace <= 0 {
		out.HeartbeatGrace = DefaultHeartbeatGrace
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	if out.RetryJoinInterval <= 0 {
		out.RetryJoinInterval = DefaultRetryJoinInterval
	}
	if out.LeaderWaitTimeout <= 0 {
		out.LeaderWaitTimeout = DefaultLeaderWaitTimeout
	}
	setDefault(&out.Build, "dev")
	if out.Autopilot == nil {
		out.Autopilot = structs.DefaultAutopilotConfig()
	} else {
		ap := *out.Autopilot
		if ap.DeadServerCleanupTime <= 0 {
			ap.DeadServerCleanupTime = structs.DefaultDeadServerCleanupTime
		}
		if ap.LastContactThreshold <= 0 {
			ap.LastContactThreshold = structs.DefaultLastContactThreshold
		}
		out.Autopilot = &ap
	}
	if n := len(out.EncryptKey); n != 0 && n != 16 && n != 24 && n != 32 {
		return nil, fmt.Errorf("server config: the gossip encryption key is %d bytes: it must be 16, 24 or 32 (drover operator keygen makes one)", n)
	}
	return &out, nil
}

func setDefault(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

// raftBindAddr derives Raft's bind address from the bound RPC address.
// Raft needs an advertisable IP, so an unspecified host becomes 127.0.0.1.
func raftBindAddr(cfg *Config, rpcBound net.Addr) string {
	if cfg.RaftAddr != "" {
		return cfg.RaftAddr
	}
	host, portStr, err := net.SplitHostPort(cfg.RPCAddr)
	if err != nil {
		host = ""
	}
	if isUnspecified(host) {
		// Raft must advertise a reachable IP: take the RPC advertise
		// address's host, else loopback.
		host = "127.0.0.1"
		if advHost, _, err := net.SplitHostPort(cfg.RPCAdvertise); err == nil && !isUnspecified(advHost) {
			host = advHost
		}
	}
	port := 0
	if p, err := strconv.Atoi(portStr); err == nil && p != 0 {
		if tcp, ok := rpcBound.(*net.TCPAddr); ok {
			port = tcp.Port + raftPortOffset
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func isUnspecified(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}
