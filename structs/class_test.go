package structs

import (
	"testing"
	"time"
)

func fixtureNode() *Node {
	return &Node{
		ID:         "9f0c2e1a-0000-4000-8000-000000000001",
		SecretID:   "secret",
		Name:       "client-1",
		Datacenter: "dc1",
		NodeClass:  "fast",
		NodePool:   "default",
		HTTPAddr:   "10.0.0.1:8646",
		Attributes: map[string]string{
			"kernel.name":               "linux",
			"cpu.arch":                  "amd64",
			"unique.hostname":           "client-1",
			"unique.network.ip-address": "10.0.0.1",
		},
		Meta: map[string]string{"rack": "r1", "unique.serial": "abc"},
		Drivers: map[string]*DriverInfo{
			"exec": {Detected: true, Healthy: true, Attributes: map[string]string{"driver.exec.version": "1"},
				HealthDescription: "healthy", UpdateTime: time.Unix(100, 0)},
		},
		HostVolumes:   map[string]*ClientHostVolumeConfig{"data": {Name: "data", Path: "/srv/data"}},
		NodeResources: &NodeResources{Cpu: NodeCpuResources{CpuShares: 4000}},
		Status:        NodeStatusReady,
	}
}

func TestComputeClass(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(n *Node)
		same   bool
	}{
		{"identical", func(n *Node) {}, true},
		{"other identity", func(n *Node) {
			n.ID, n.SecretID, n.Name, n.HTTPAddr = "other", "s2", "client-2", "10.0.0.2:8646"
		}, true},
		{"unique attributes", func(n *Node) {
			n.Attributes["unique.hostname"] = "client-2"
			n.Attributes["unique.network.ip-address"] = "10.0.0.2"
			n.Attributes["unique.new"] = "x"
		}, true},
		{"unique meta", func(n *Node) { n.Meta["unique.serial"] = "def" }, true},
		{"status and resources", func(n *Node) {
			n.Status, n.Drain, n.NodeResources.Cpu.CpuShares = NodeStatusDown, true, 8000
		}, true},
		{"driver health text", func(n *Node) {
			n.Drivers["exec"].HealthDescription = "still healthy"
			n.Drivers["exec"].UpdateTime = time.Unix(200, 0)
		}, true},
		{"host volume path", func(n *Node) { n.HostVolumes["data"].Path = "/mnt/data" }, true},
		{"datacenter", func(n *Node) { n.Datacenter = "dc2" }, false},
		{"class", func(n *Node) { n.NodeClass = "slow" }, false},
		{"pool", func(n *Node) { n.NodePool = "gpu" }, false},
		{"attribute", func(n *Node) { n.Attributes["cpu.arch"] = "arm64" }, false},
		{"attribute added", func(n *Node) { n.Attributes["os.version"] = "12" }, false},
		{"meta", func(n *Node) { n.Meta["rack"] = "r2" }, false},
		{"driver unhealthy", func(n *Node) { n.Drivers["exec"].Healthy = false }, false},
		{"driver attribute", func(n *Node) { n.Drivers["exec"].Attributes["driver.exec.version"] = "2" }, false},
		{"driver added", func(n *Node) { n.Drivers["mock"] = &DriverInfo{Detected: true, Healthy: true} }, false},
		{"host volume added", func(n *Node) { n.HostVolumes["logs"] = &ClientHostVolumeConfig{Name: "logs"} }, false},
		{"host volume read only", func(n *Node) { n.HostVolumes["data"].ReadOnly = true }, false},
		{"field boundary", func(n *Node) { n.Datacenter, n.NodeClass = "dc1f", "ast" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := fixtureNode(), fixtureNode()
			tc.mutate(b)
			ca, cb := a.ComputeClass(), b.ComputeClass()
			if got := ca == cb; got != tc.same {
				t.Errorf("classes %q and %q: equal = %v, want %v", ca, cb, got, tc.same)
			}
			if a.ComputedClass != ca || b.ComputedClass != cb {
				t.Errorf("ComputedClass: got %q and %q, want the returned %q and %q", a.ComputedClass, b.ComputedClass, ca, cb)
			}
		})
	}
}

func TestComputeClassStable(t *testing.T) {
	n := fixtureNode()
	first := n.ComputeClass()
	for i := 0; i < 20; i++ { // map iteration order varies between calls
		if got := n.Copy().ComputeClass(); got != first {
			t.Fatalf("call %d: got %q, want %q", i, got, first)
		}
	}
	if len(first) < 4 || first[:3] != "v1:" {
		t.Errorf("class %q: want a \"v1:\" prefix", first)
	}
}
