package structs

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func TestParsePortRanges(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "22", want: []int{22}},
		{in: "22, 80,8000-8002", want: []int{22, 80, 8000, 8001, 8002}},
		{in: "5-5", want: []int{5}},
		{in: "9-8", wantErr: true},
		{in: "x", wantErr: true},
		{in: "70000", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePortRanges(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePortRanges(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParsePortRanges(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func smallRangeNode(lo, hi int, reserved string) *Node {
	return &Node{
		ID: "n",
		NodeResources: &NodeResources{
			MinDynamicPort: lo, MaxDynamicPort: hi,
			Networks: []*NetworkResource{{IP: "10.0.0.1"}},
		},
		ReservedResources: &NodeReservedResources{Networks: NodeReservedNetworkResources{ReservedHostPorts: reserved}},
	}
}

func TestAssignPorts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	idx := NewNetworkIndex(smallRangeNode(30000, 30004, "30000"))
	ask := []*NetworkResource{{
		ReservedPorts: []Port{{Label: "http", Value: 8080}},
		DynamicPorts:  []Port{{Label: "a"}, {Label: "b", To: -1}, {Label: "c", To: 9000}},
	}}
	got, err := idx.AssignPorts(ask, rng)
	if err != nil {
		t.Fatalf("AssignPorts: %v", err)
	}
	if len(got) != 4 || got[0].Label != "http" || got[0].Value != 8080 || got[0].HostIP != "10.0.0.1" {
		t.Fatalf("AssignPorts = %+v, want http:8080 first, then three dynamic ports", got)
	}
	seen := map[int]bool{}
	for _, p := range got[1:] {
		if p.Value < 30001 || p.Value > 30004 || seen[p.Value] {
			t.Errorf("dynamic port %d: want distinct ports in 30001-30004 (30000 is reserved)", p.Value)
		}
		seen[p.Value] = true
	}
	if got[2].To != got[2].Value || got[3].To != 9000 {
		t.Errorf("To mapping = %d and %d, want %d (to=-1) and 9000", got[2].To, got[3].To, got[2].Value)
	}
	if idx.DynamicFree() != 1 {
		t.Errorf("DynamicFree = %d, want 1", idx.DynamicFree())
	}
	// The static port is now taken, and so is the range bar one port.
	if _, err := idx.AssignPorts([]*NetworkResource{{ReservedPorts: []Port{{Label: "x", Value: 8080}}}}, rng); err == nil || !strings.Contains(err.Error(), PortCollision) {
		t.Errorf("second static 8080: error = %v, want %q", err, PortCollision)
	}
	if _, err := idx.AssignPorts([]*NetworkResource{{DynamicPorts: []Port{{Label: "x"}, {Label: "y"}}}}, rng); err == nil {
		t.Errorf("two dynamic ports with one free: want an error")
	}
	if idx.DynamicFree() != 1 {
		t.Errorf("a failed AssignPorts claimed ports: DynamicFree = %d, want 1", idx.DynamicFree())
	}
	if _, err := idx.AssignPorts([]*NetworkResource{{DynamicPorts: []Port{{Label: "x"}}}}, nil); err != nil {
		t.Errorf("last dynamic port: %v", err)
	}
}

func TestAssignPortsReservedStatic(t *testing.T) {
	idx := NewNetworkIndex(smallRangeNode(0, 0, "22"))
	_, err := idx.AssignPorts([]*NetworkResource{{ReservedPorts: []Port{{Label: "ssh", Value: 22}}}}, nil)
	if err == nil || !strings.Contains(err.Error(), ReservedPortCollision) {
		t.Fatalf("static port 22 on a node reserving it: error = %v, want %q", err, ReservedPortCollision)
	}
}

func TestAddAllocsReportsCollision(t *testing.T) {
	idx := NewNetworkIndex(smallRangeNode(0, 0, ""))
	if c, _ := idx.AddAllocs([]*Allocation{fitAlloc(1, 1, 0, 20000)}); c {
		t.Fatalf("first alloc collided")
	}
	c, reason := idx.AddAllocs([]*Allocation{fitAlloc(1, 1, 0, 20000)})
	if !c || reason != PortCollision {
		t.Fatalf("AddAllocs = (%v, %q), want (true, %q)", c, reason, PortCollision)
	}
}
