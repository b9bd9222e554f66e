package command

import (
	"fmt"
	"io"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// nodeCommand is the "node" group: status, drain, eligibility.
func (m *Meta) nodeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Interact with client nodes",
	}
	cmd.AddCommand(m.nodeStatusCommand(), m.nodeDrainCommand(), m.nodeEligibilityCommand())
	return cmd
}

func (m *Meta) nodeStatusCommand() *cobra.Command {
	var asJSON, verbose bool
	cmd := &cobra.Command{
		Use:   "status [node]",
		Short: "List client nodes, or show one node",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return m.listNodes(asJSON, verbose)
			}
			return m.nodeStatus(args[0], asJSON, verbose)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API objects as JSON")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs and node attributes")
	return cmd
}

func (m *Meta) listNodes(asJSON, verbose bool) error {
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	nodes, _, err := c.Nodes().List(nil)
	if err != nil {
		return m.fail("querying node status", err)
	}
	if asJSON {
		return writeJSON(m.Stdout, nodes)
	}
	if len(nodes) == 0 {
		m.outf("No nodes registered\n")
		return nil
	}
	m.writeNodeList(m.Stdout, nodes, verbose)
	return nil
}

func (m *Meta) writeNodeList(w io.Writer, nodes []*api.NodeListStub, verbose bool) {
	rows := make([][]string, 0, len(nodes))
	for _, n := range nodes {
		rows = append(rows, []string{
			shortID(n.ID, verbose), orNone(n.NodePool), n.Datacenter, n.Name, orNone(n.NodeClass),
			fmt.Sprint(n.Drain), n.SchedulingEligibility, n.Status,
		})
	}
	writeTable(w, []string{"ID", "Node Pool", "DC", "Name", "Class", "Drain", "Eligibility", "Status"}, rows)
}

// nodeStatusView is what `node status NODE -json` prints.
type nodeStatusView struct {
	Node        *api.Node
	Allocations []*api.Allocation
}

func (m *Meta) nodeStatus(prefix string, asJSON, verbose bool) error {
	const doing = "getting node status"
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	id, err := m.resolveNode(c, prefix, doing, verbose)
	if err != nil {
		return err
	}
	node, _, err := c.Nodes().Info(id, nil)
	if err != nil {
		return m.fail(doing, err)
	}
	allocs, _, err := c.Nodes().Allocations(id, nil)
	if err != nil {
		return m.fail(doing, err)
	}
	if asJSON {
		return writeJSON(m.Stdout, &nodeStatusView{Node: node, Allocations: allocs})
	}
	m.printNode(node, allocs, verbose)
	return nil
}

func (m *Meta) printNode(n *api.Node, allocs []*api.Allocation, verbose bool) {
	writeKV(m.Stdout, []kv{
		{"ID", shortID(n.ID, verbose)},
		{"Name", n.Name},
		{"Node Pool", orNone(n.NodePool)},
		{"Class", orNone(n.NodeClass)},
		{"DC", n.Datacenter},
		{"Drain", fmt.Sprint(n.Drain)},
		{"Eligibility", n.SchedulingEligibility},
		{"Status", n.Status},
		{"Drivers", healthyDrivers(n)},
	})
	m.outf("\nAllocated Resources\n")
	writeTable(m.Stdout, []string{"CPU", "Memory", "Disk"}, [][]string{allocatedRow(n, allocs)})
	m.outf("\nAllocations\n")
	if len(allocs) == 0 {
		m.outf("No allocations placed\n")
	} else {
		stubs := make([]*api.AllocationListStub, 0, len(allocs))
		for _, a := range allocs {
			stubs = append(stubs, a.Stub())
		}
		m.writeAllocTable(m.Stdout, stubs, verbose)
	}
	if verbose {
		m.printNodeMaps(n)
	}
}

// healthyDrivers lists the drivers a node detected and reports healthy.
func healthyDrivers(n *api.Node) string {
	var names []string
	for _, name := range sortedKeys(n.Drivers) {
		if d := n.Drivers[name]; d.Detected && d.Healthy {
			names = append(names, name)
		}
	}
	return joinOrNone(names)
}

// allocatedRow sums the resources of the node's running allocations
// against its capacity net of reserved resources.
func allocatedRow(n *api.Node, allocs []*api.Allocation) []string {
	var cpu, mem, disk int64
	for _, a := range allocs {
		if a.TerminalStatus() || a.AllocatedResources == nil {
			continue
		}
		for _, t := range a.AllocatedResources.Tasks {
			cpu += t.Cpu.CpuShares
			mem += t.Memory.MemoryMB
		}
		disk += a.AllocatedResources.Shared.DiskMB
	}
	var capCPU, capMem, capDisk int64
	if r := n.NodeResources; r != nil {
		capCPU, capMem, capDisk = r.Cpu.CpuShares, r.Memory.MemoryMB, r.Disk.DiskMB
	}
	if r := n.ReservedResources; r != nil {
		capCPU -= r.Cpu.CpuShares
		capMem -= r.Memory.MemoryMB
		capDisk -= r.Disk.DiskMB
	}
	return []string{
		fmt.Sprintf("%d/%d MHz", cpu, capCPU),
		fmt.Sprintf("%d/%d MiB", mem, capMem),
		fmt.Sprintf("%d/%d MiB", disk, capDisk),
	}
}

// printNodeMaps prints the node's attributes and meta (-verbose).
func (m *Meta) printNodeMaps(n *api.Node) {
	for _, sec := range []struct {
		title  string
		values map[string]string
	}{{"Attributes", n.Attributes}, {"Meta", n.Meta}} {
		m.outf("\n%s\n", sec.title)
		pairs := make([]kv, 0, len(sec.values))
		for _, k := range sortedKeys(sec.values) {
			pairs = append(pairs, kv{k, sec.values[k]})
		}
		if len(pairs) == 0 {
			m.outf("<none>\n")
			continue
		}
		writeKV(m.Stdout, pairs)
	}
}
