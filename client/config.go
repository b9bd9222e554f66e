package client

import (
	"log/slog"
	"time"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// Config is how the agent configures one client.
type Config struct {
	DataDir    string // client state (node ID file, bbolt state, alloc dirs under DataDir/alloc)
	NodeName   string
	Datacenter string
	Region     string
	NodeClass  string
	NodePool   string
	Servers    []string // server RPC addresses host:port
	HTTPAddr   string   // this agent's HTTP address, advertised in the Node
	Meta       map[string]string
	Options    map[string]string
	// RawExecEnabled turns on the raw_exec driver (-dev enables it).
	RawExecEnabled bool
	HostVolumes    map[string]*structs.ClientHostVolumeConfig
	// ChrootEnv maps host paths to paths in exec tasks' root filesystems
	// (Nomad's chroot_env); nil is /bin /etc /lib /lib64 /sbin /usr.
	ChrootEnv        map[string]string
	ReservedCPU      int
	ReservedMemoryMB int
	ReservedDiskMB   int
	ReservedPorts    string
	MinDynamicPort   int
	MaxDynamicPort   int
	NetworkInterface string // "" = detect; dev uses the loopback address
	// CPUTotalCompute and MemoryTotalMB, when set, replace the fingerprinted
	// capacity (Nomad's cpu_total_compute and memory_total_mb), for hosts
	// whose detection is wrong and for tests that need a bigger node.
	CPUTotalCompute int
	MemoryTotalMB   int
	// StopTasksOnShutdown makes Shutdown stop every task and remove its
	// alloc dir instead of leaving tasks running for a later client. Dev
	// agents set it: their data dir is temporary, so nothing could recover
	// the tasks.
	StopTasksOnShutdown bool
	// GCMaxAllocs is how many finished allocs the client keeps; 0 means
	// DefaultGCMaxAllocs.
	GCMaxAllocs int
	// TLS secures the connections to servers with mutual TLS; nil is
	// plaintext.
	TLS    *rpc.TLS
	Logger *slog.Logger
	Now    func() time.Time
}
