package api

// Resources a task asks for.
type Resources struct {
	CPU         int // MHz
	Cores       int
	MemoryMB    int
	MemoryMaxMB int
	DiskMB      int
	Networks    []*NetworkResource
}

// NetworkResource is a group's or node's network: its mode and ports.
type NetworkResource struct {
	Mode          string // host (default), bridge, none
	Device        string
	CIDR          string
	IP            string
	MBits         int
	ReservedPorts []Port // static ports
	DynamicPorts  []Port // ports the scheduler picks
}

// Port is a named port. Value is the host port; To is the port inside the
// task's network namespace when it differs.
type Port struct {
	Label       string
	Value       int
	To          int
	HostNetwork string
}

// Default dynamic port range, as Nomad's.
const (
	DefaultMinDynamicPort = 20000
	DefaultMaxDynamicPort = 32000
)
