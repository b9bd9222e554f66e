package api

import "time"

// Node statuses.
const (
	NodeStatusInit  = "initializing"
	NodeStatusReady = "ready"
	NodeStatusDown  = "down"
)

// Node scheduling eligibility.
const (
	NodeSchedulingEligible   = "eligible"
	NodeSchedulingIneligible = "ineligible"
)

// Node is a client machine that runs allocations.
type Node struct {
	ID                    string
	SecretID              string
	Datacenter            string
	Name                  string
	HTTPAddr              string
	NodeClass             string
	NodePool              string
	Attributes            map[string]string
	Meta                  map[string]string
	Drivers               map[string]*DriverInfo
	HostVolumes           map[string]*ClientHostVolumeConfig
	NodeResources         *NodeResources
	ReservedResources     *NodeReservedResources
	Status                string
	StatusDescription     string
	StatusUpdatedAt       int64
	SchedulingEligibility string
	Drain                 bool
	// DrainStrategy is the drain in progress; nil when not draining.
	DrainStrategy *DrainStrategy
	// ComputedClass groups nodes whose scheduling-relevant fields are equal,
	// so feasibility can be cached per class.
	ComputedClass string
	CreateIndex   uint64
	ModifyIndex   uint64
}

// DriverInfo is what a client learned about one task driver.
type DriverInfo struct {
	Attributes        map[string]string
	Detected          bool
	Healthy           bool
	HealthDescription string
	UpdateTime        time.Time
}

// ClientHostVolumeConfig is a host directory a client offers to jobs.
type ClientHostVolumeConfig struct {
	Name     string
	Path     string
	ReadOnly bool
}

// NodeResources is the capacity a node has.
type NodeResources struct {
	Cpu            NodeCpuResources
	Memory         NodeMemoryResources
	Disk           NodeDiskResources
	Networks       []*NetworkResource
	MinDynamicPort int
	MaxDynamicPort int
}

// NodeCpuResources is a node's CPU capacity.
type NodeCpuResources struct {
	CpuShares     int64 // total MHz
	TotalCpuCores int
}

// NodeMemoryResources is a node's memory capacity.
type NodeMemoryResources struct{ MemoryMB int64 }

// NodeDiskResources is a node's allocatable disk.
type NodeDiskResources struct{ DiskMB int64 }

// NodeReservedResources is held back from scheduling on a node.
type NodeReservedResources struct {
	Cpu      NodeCpuResources
	Memory   NodeMemoryResources
	Disk     NodeDiskResources
	Networks NodeReservedNetworkResources
}

// NodeReservedNetworkResources lists host ports jobs may not use, as
// "22,80,8000-8100".
type NodeReservedNetworkResources struct{ ReservedHostPorts string }

// Ready reports whether the node can take new work.
func (n *Node) Ready() bool {
	return n.Status == NodeStatusReady && !n.Drain && n.SchedulingEligibility != NodeSchedulingIneligible
}

// TerminalStatus reports whether the node is down.
func (n *Node) TerminalStatus() bool { return n.Status == NodeStatusDown }

// Stub returns the short form shown in node listings.
func (n *Node) Stub() *NodeListStub {
	return &NodeListStub{
		ID: n.ID, Datacenter: n.Datacenter, Name: n.Name, NodeClass: n.NodeClass, NodePool: n.NodePool,
		Address: n.HTTPAddr, Version: n.Attributes["drover.version"], Drain: n.Drain,
		SchedulingEligibility: n.SchedulingEligibility, Status: n.Status, StatusDescription: n.StatusDescription,
		Drivers: n.Drivers, CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex,
	}
}

// NodeListStub is a node in listings.
type NodeListStub struct {
	ID                    string
	Datacenter            string
	Name                  string
	NodeClass             string
	NodePool              string
	Address               string
	Version               string
	Drain                 bool
	SchedulingEligibility string
	Status                string
	StatusDescription     string
	Drivers               map[string]*DriverInfo
	CreateIndex           uint64
	ModifyIndex           uint64
}
