package agent

import (
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/droverhq/drover/server"
	"github.com/droverhq/drover/structs"
)

// BuildVersion is the version servers report in their Serf tags (`server
// members` shows it); the CLI sets it to its own version.
var BuildVersion = "dev"

// Cluster configuration: gossip, joining, leaving, autopilot and Raft
// snapshots. The keys follow Nomad's agent configuration:
//
//	encrypt            = "base64 key"   # gossip encryption (drover operator keygen)
//	leave_on_terminate = true           # default true for servers
//	server {
//	  bootstrap_expect        = 3
//	  raft_snapshot_threshold = 8192
//	  raft_trailing_logs      = 10240
//	  raft_snapshot_interval  = "2m"
//	  server_join {
//	    start_join     = ["10.0.0.1:8648"]
//	    retry_join     = ["10.0.0.1", "10.0.0.2"]
//	    retry_interval = "30s"
//	  }
//	}
//	autopilot {
//	  cleanup_dead_servers     = true
//	  dead_server_cleanup_time = "30s"  # drover's name; also server_stabilization_time
//	  last_contact_threshold   = "200ms"
//	}

// AutopilotConfig is the autopilot block.
type AutopilotConfig struct {
	CleanupDeadServers    *bool
	DeadServerCleanupTime time.Duration
	LastContactThreshold  time.Duration
}

// ServerClusterConfig holds the server block's cluster keys.
type ServerClusterConfig struct {
	StartJoin             []string
	RetryInterval         time.Duration
	RaftSnapshotThreshold int
	RaftTrailingLogs      int
	RaftSnapshotInterval  time.Duration
}

// leaveOnTerminate reports whether Shutdown leaves the cluster first:
// leave_on_terminate, default true for servers.
func (c *Config) leaveOnTerminate() bool {
	if c.LeaveOnTerminate != nil {
		return *c.LeaveOnTerminate
	}
	return c.Server != nil && c.Server.Enabled
}

// encryptKey decodes the gossip encryption key; nil when unset.
func (c *Config) encryptKey() ([]byte, error) {
	if c.Encrypt == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(c.Encrypt)
	if err != nil {
		return nil, fmt.Errorf("encrypt: the key is not base64 (%v): generate one with drover operator keygen", err)
	}
	if n := len(key); n != 16 && n != 24 && n != 32 {
		return nil, fmt.Errorf("encrypt: the key is %d bytes, want 32 (16 and 24 also work): generate one with drover operator keygen", n)
	}
	return key, nil
}

// mergeCluster sets out's cluster keys that other sets.
func mergeCluster(out, other *Config) {
	setStr(&out.Encrypt, other.Encrypt)
	if other.LeaveOnTerminate != nil {
		v := *other.LeaveOnTerminate
		out.LeaveOnTerminate = &v
	}
	if o := other.Autopilot; o != nil {
		next := AutopilotConfig{}
		if out.Autopilot != nil {
			next = *out.Autopilot
		}
		if o.CleanupDeadServers != nil {
			v := *o.CleanupDeadServers
			next.CleanupDeadServers = &v
		}
		if o.DeadServerCleanupTime != 0 {
			next.DeadServerCleanupTime = o.DeadServerCleanupTime
		}
		if o.LastContactThreshold != 0 {
			next.LastContactThreshold = o.LastContactThreshold
		}
		out.Autopilot = &next
	}
}

// mergeServerCluster sets out's server cluster keys that o sets.
func mergeServerCluster(out, o *ServerConfig) {
	out.StartJoin = append([]string(nil), out.StartJoin...)
	if o == nil {
		return
	}
	if len(o.StartJoin) > 0 {
		out.StartJoin = append([]string(nil), o.StartJoin...)
	}
	if o.RetryInterval != 0 {
		out.RetryInterval = o.RetryInterval
	}
	setInt(&out.RaftSnapshotThreshold, o.RaftSnapshotThreshold)
	setInt(&out.RaftTrailingLogs, o.RaftTrailingLogs)
	if o.RaftSnapshotInterval != 0 {
		out.RaftSnapshotInterval = o.RaftSnapshotInterval
	}
}

// validateCluster checks the cluster keys.
func (c *Config) validateCluster() []error {
	var errs []error
	if _, err := c.encryptKey(); err != nil {
		errs = append(errs, err)
	}
	if s := c.Server; s != nil && s.Enabled {
		if s.RaftSnapshotThreshold < 0 || s.RaftTrailingLogs < 0 || s.RaftSnapshotInterval < 0 || s.RetryInterval < 0 {
			errs = append(errs, fmt.Errorf("server: raft_snapshot_threshold, raft_trailing_logs, raft_snapshot_interval and server_join.retry_interval must not be negative"))
		}
	}
	if a := c.Autopilot; a != nil && (a.DeadServerCleanupTime < 0 || a.LastContactThreshold < 0) {
		errs = append(errs, fmt.Errorf("autopilot: dead_server_cleanup_time and last_contact_threshold must not be negative"))
	}
	return errs
}

// fileAutopilot is the autopilot block of a config file.
type fileAutopilot struct {
	CleanupDeadServers      *bool     `hcl:"cleanup_dead_servers,optional"`
	DeadServerCleanupTime   string    `hcl:"dead_server_cleanup_time,optional"`
	ServerStabilizationTime string    `hcl:"server_stabilization_time,optional"`
	LastContactThreshold    string    `hcl:"last_contact_threshold,optional"`
	MaxTrailingLogs         int       `hcl:"max_trailing_logs,optional"`
	DefRange                hcl.Range `hcl:",def_range"`
}

// clusterToConfig copies the file's cluster keys into c.
func (fc *fileConfig) clusterToConfig(c *Config) error {
	c.Encrypt = fc.Encrypt
	c.LeaveOnTerminate = fc.LeaveOnTerminate
	if a := fc.Autopilot; a != nil {
		out := &AutopilotConfig{CleanupDeadServers: a.CleanupDeadServers}
		cleanup := a.DeadServerCleanupTime
		if cleanup == "" {
			cleanup = a.ServerStabilizationTime
		}
		var err error
		if out.DeadServerCleanupTime, err = parseDurationKey(a.DefRange, "autopilot.dead_server_cleanup_time", cleanup); err != nil {
			return err
		}
		if out.LastContactThreshold, err = parseDurationKey(a.DefRange, "autopilot.last_contact_threshold", a.LastContactThreshold); err != nil {
			return err
		}
		c.Autopilot = out
	}
	if fs := fc.Server; fs != nil && c.Server != nil {
		c.Server.RaftSnapshotThreshold = fs.RaftSnapshotThreshold
		c.Server.RaftTrailingLogs = fs.RaftTrailingLogs
		var err error
		if c.Server.RaftSnapshotInterval, err = parseDurationKey(fs.DefRange, "server.raft_snapshot_interval", fs.RaftSnapshotInterval); err != nil {
			return err
		}
		if j := fs.ServerJoin; j != nil {
			c.Server.StartJoin = j.StartJoin
			if c.Server.RetryInterval, err = parseDurationKey(fs.DefRange, "server.server_join.retry_interval", j.RetryInterval); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseDurationKey parses an optional duration key, naming it on error.
func parseDurationKey(at hcl.Range, key, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("agent config: %s: %s = %q is not a duration: use e.g. \"30s\"", at, key, v)
	}
	return d, nil
}

// clusterServerConfig fills the server's Serf, join, encryption,
// autopilot and Raft snapshot settings from the agent config. Serf binds
// bind_addr:ports.serf and advertises advertise.serf (else the bind or
// private address).
func (a *Agent) clusterServerConfig(cfg *server.Config) error {
	c := a.cfg
	cfg.SerfAddr = net.JoinHostPort(c.BindAddr, strconv.Itoa(c.Ports.Serf))
	if c.Ports.Serf != 0 || c.Advertise.Serf != "" {
		cfg.SerfAdvertise = advertiseAddr(c.Advertise.Serf, c.BindAddr, c.Ports.Serf)
	}
	cfg.StartJoin = c.Server.StartJoin
	cfg.RetryJoin = withDefaultPort(c.Server.RetryJoin, DefaultSerfPort)
	cfg.StartJoin = withDefaultPort(cfg.StartJoin, DefaultSerfPort)
	cfg.RetryJoinInterval = c.Server.RetryInterval
	key, err := c.encryptKey()
	if err != nil {
		return err
	}
	cfg.EncryptKey = key
	cfg.RaftSnapshotThreshold = uint64(c.Server.RaftSnapshotThreshold)
	cfg.RaftTrailingLogs = uint64(c.Server.RaftTrailingLogs)
	cfg.RaftSnapshotInterval = c.Server.RaftSnapshotInterval
	cfg.Build = BuildVersion
	ap := structs.DefaultAutopilotConfig()
	if o := c.Autopilot; o != nil {
		if o.CleanupDeadServers != nil {
			ap.CleanupDeadServers = *o.CleanupDeadServers
		}
		if o.DeadServerCleanupTime > 0 {
			ap.DeadServerCleanupTime = o.DeadServerCleanupTime
		}
		if o.LastContactThreshold > 0 {
			ap.LastContactThreshold = o.LastContactThreshold
		}
	}
	cfg.Autopilot = ap
	return nil
}

// withDefaultPort adds port to addresses that have none.
func withDefaultPort(addrs []string, port int) []string {
	var out []string
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(a, strconv.Itoa(port))
		}
		out = append(out, a)
	}
	return out
}

// clientServers are a client's server_join addresses: servers' RPC
// addresses, port 8647 unless given (Nomad's client server_join).
func (j *fileServerJoin) clientServers() []string {
	if j == nil {
		return nil
	}
	return withDefaultPort(append(append([]string(nil), j.StartJoin...), j.RetryJoin...), DefaultRPCPort)
}
