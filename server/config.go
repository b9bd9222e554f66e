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
)

// Defaults for Config fields left zero.
const (
	DefaultRPCAddr        = "127.0.0.1:8647"
	DefaultHeartbeatTTL   = 10 * time.Second
	DefaultHeartbeatGrace = 10 * time.Second
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
