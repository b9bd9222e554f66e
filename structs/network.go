package structs

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
)

// Reasons a NetworkIndex reports for a port conflict. AllocsFit returns them
// as its exhausted dimension.
const (
	PortCollision         = "network: port collision"
	ReservedPortCollision = "network: reserved port collision"
	DynamicPortExhausted  = "network: dynamic port selection failed"
)

// maxPort is the highest TCP/UDP port number.
const maxPort = 65535

// portSet is a bitmap over the 65,536 port numbers: 8 KiB, set and test in O(1).
type portSet []uint64

func newPortSet() portSet { return make(portSet, (maxPort+1)/64) }

// has reports whether p is in the set; a nil set (never allocated) is empty.
func (s portSet) has(p int) bool {
	return len(s) > 0 && p >= 0 && p <= maxPort && s[p>>6]&(1<<(uint(p)&63)) != 0
}

// add puts p in the set, allocating the bitmap on first use so that nodes
// without ports cost nothing.
func (s *portSet) add(p int) {
	if *s == nil {
		*s = newPortSet()
	}
	(*s)[p>>6] |= 1 << (uint(p) & 63)
}

// NetworkIndex tracks the host ports in use on one node, so that a placement
// can check static ports and pick free dynamic ones. It treats all of the
// node's addresses as one port space: simpler, and never wrong in the unsafe
// direction. It is not safe for concurrent use.
type NetworkIndex struct {
	reserved    portSet // the node's ReservedHostPorts: nobody may use them
	used        portSet // ports claimed by allocations
	minDyn      int
	maxDyn      int
	usedDynamic int // how many ports in [minDyn, maxDyn] are taken, either way
	hostIP      string
	err         error // from parsing ReservedHostPorts
}

// NewNetworkIndex returns an index of the node's reserved ports and its
// dynamic port range, with no allocations added yet. A malformed
// ReservedHostPorts is reported by Err and otherwise ignored.
func NewNetworkIndex(node *Node) *NetworkIndex {
	idx := &NetworkIndex{minDyn: DefaultMinDynamicPort, maxDyn: DefaultMaxDynamicPort}
	if node == nil {
		return idx
	}
	if nr := node.NodeResources; nr != nil {
		if nr.MinDynamicPort > 0 {
			idx.minDyn = nr.MinDynamicPort
		}
		if nr.MaxDynamicPort > 0 {
			idx.maxDyn = nr.MaxDynamicPort
		}
		for _, n := range nr.Networks {
			if n != nil && n.IP != "" {
				idx.hostIP = n.IP
				break
			}
		}
	}
	if rr := node.ReservedResources; rr != nil {
		ports, err := ParsePortRanges(rr.Networks.ReservedHostPorts)
		if err != nil {
			idx.err = fmt.Errorf("node %q reserved host ports: %w", node.ID, err)
		}
		for _, p := range ports {
			idx.reserved.add(p)
			idx.countDynamic(p)
		}
	}
	return idx
}

// Err reports a malformed ReservedHostPorts on the node.
func (idx *NetworkIndex) Err() error { return idx.err }

// countDynamic keeps usedDynamic current when port p becomes taken.
func (idx *NetworkIndex) countDynamic(p int) {
	if p >= idx.minDyn && p <= idx.maxDyn {
		idx.usedDynamic++
	}
}

// Used reports whether port is reserved by the node or claimed by an
// allocation.
func (idx *NetworkIndex) Used(port int) bool { return idx.reserved.has(port) || idx.used.has(port) }

// Reserved reports whether the node reserves port for itself.
func (idx *NetworkIndex) Reserved(port int) bool { return idx.reserved.has(port) }

// DynamicFree returns how many ports in the dynamic range are still free.
func (idx *NetworkIndex) DynamicFree() int { return idx.maxDyn - idx.minDyn + 1 - idx.usedDynamic }

// AddAllocs claims the host ports of every non-terminal allocation. It claims
// them all even after a collision, and reports the first collision found.
func (idx *NetworkIndex) AddAllocs(allocs []*Allocation) (collide bool, reason string) {
	for _, a := range allocs {
		if a == nil || a.TerminalStatus() {
			continue
		}
		if c, r := idx.AddPorts(AllocHostPorts(a)); c && !collide {
			collide, reason = true, r
		}
	}
	return collide, reason
}

// AddPorts claims host ports. A port already claimed is a PortCollision; a
// port the node reserves is a ReservedPortCollision. Out-of-range values are
// ignored (0 means "not assigned").
func (idx *NetworkIndex) AddPorts(ports []int) (collide bool, reason string) {
	for _, p := range ports {
		if p <= 0 || p > maxPort {
			continue
		}
		switch {
		case idx.reserved.has(p):
			if !collide {
				collide, reason = true, ReservedPortCollision
			}
		case idx.used.has(p):
			if !collide {
				collide, reason = true, PortCollision
			}
		default:
			idx.used.add(p)
			idx.countDynamic(p)
		}
	}
	return collide, reason
}

// AssignPorts grants the ports the networks ask for and claims them in the
// index: static (reserved) ports as asked, dynamic ones picked at random in
// the node's dynamic range. On error nothing is claimed. rng may be nil.
func (idx *NetworkIndex) AssignPorts(networks []*NetworkResource, rng *rand.Rand) ([]AllocatedPortMapping, error) {
	var out []AllocatedPortMapping
	taken := map[int]bool{} // ports granted by this call, not yet in idx.used
	for _, n := range networks {
		if n == nil {
			continue
		}
		for _, p := range n.ReservedPorts {
			if p.Value <= 0 || p.Value > maxPort {
				return nil, fmt.Errorf("static port %q: value %d out of range 1-%d", p.Label, p.Value, maxPort)
			}
			if idx.reserved.has(p.Value) {
				return nil, fmt.Errorf("static port %q (%d): %s", p.Label, p.Value, ReservedPortCollision)
			}
			if idx.used.has(p.Value) || taken[p.Value] {
				return nil, fmt.Errorf("static port %q (%d): %s", p.Label, p.Value, PortCollision)
			}
			taken[p.Value] = true
			out = append(out, idx.mapping(p, p.Value))
		}
	}
	for _, n := range networks {
		if n == nil {
			continue
		}
		for _, p := range n.DynamicPorts {
			v, ok := idx.pickDynamic(taken, rng)
			if !ok {
				return nil, fmt.Errorf("dynamic port %q: %s", p.Label, DynamicPortExhausted)
			}
			taken[v] = true
			out = append(out, idx.mapping(p, v))
		}
	}
	for v := range taken {
		idx.used.add(v)
		idx.countDynamic(v)
	}
	return out, nil
}

// mapping builds the granted port. To -1 (Nomad's "same as the host port")
// becomes the host port.
func (idx *NetworkIndex) mapping(p Port, value int) AllocatedPortMapping {
	to := p.To
	if to == -1 {
		to = value
	}
	return AllocatedPortMapping{Label: p.Label, Value: value, To: to, HostIP: idx.hostIP}
}

// pickDynamic tries a few random ports first (cheap while the range is mostly
// free, and it spreads ports), then scans from a random offset so that a
// nearly full range still finds its last free port.
func (idx *NetworkIndex) pickDynamic(taken map[int]bool, rng *rand.Rand) (int, bool) {
	span := idx.maxDyn - idx.minDyn + 1
	if span <= 0 {
		return 0, false
	}
	free := func(p int) bool { return !idx.Used(p) && !taken[p] }
	intn := rand.Intn
	if rng != nil {
		intn = rng.Intn
	}
	for i := 0; i < 20; i++ {
		if p := idx.minDyn + intn(span); free(p) {
			return p, true
		}
	}
	start := intn(span)
	for i := 0; i < span; i++ {
		if p := idx.minDyn + (start+i)%span; free(p) {
			return p, true
		}
	}
	return 0, false
}

// AllocHostPorts lists the distinct host ports an allocation holds, from its
// shared ports, shared networks and task networks (an allocation may record
// the same port in more than one of them).
func AllocHostPorts(a *Allocation) []int {
	ar := a.AllocatedResources
	if ar == nil {
		return nil
	}
	var ports []int
	seen := map[int]bool{}
	add := func(p int) {
		if p > 0 && !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	for _, m := range ar.Shared.Ports {
		add(m.Value)
	}
	addNets := func(nets []*NetworkResource) {
		for _, n := range nets {
			if n == nil {
				continue
			}
			for _, p := range n.ReservedPorts {
				add(p.Value)
			}
			for _, p := range n.DynamicPorts {
				add(p.Value)
			}
		}
	}
	addNets(ar.Shared.Networks)
	for _, t := range ar.Tasks {
		if t != nil {
			addNets(t.Networks)
		}
	}
	return ports
}

// ParsePortRanges parses a port list such as "22,80,8000-8100" into the
// ports it names, in order. Empty input is no ports.
func ParsePortRanges(spec string) ([]int, error) {
	var ports []int
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := parsePort(lo)
		if err != nil {
			return nil, fmt.Errorf("port list %q: %w", spec, err)
		}
		last := first
		if isRange {
			if last, err = parsePort(hi); err != nil {
				return nil, fmt.Errorf("port list %q: %w", spec, err)
			}
			if last < first {
				return nil, fmt.Errorf("port list %q: range %q ends before it starts: %w", spec, part, ErrInvalid)
			}
		}
		for p := first; p <= last; p++ {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || p < 0 || p > maxPort {
		return 0, fmt.Errorf("%q is not a port number 0-%d: %w", s, maxPort, ErrInvalid)
	}
	return p, nil
}
