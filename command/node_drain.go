package command

import (
	"fmt"
	"time"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// defaultDrainDeadline is Nomad's default -deadline.
const defaultDrainDeadline = time.Hour

// drainFlags are the flags of `node drain`.
type drainFlags struct {
	enable, disable, force, noDeadline   bool
	ignoreSystem, keepIneligible, detach bool
	yes, monitorOnly, verbose            bool
	deadline                             time.Duration
	deadlineSet                          bool // -deadline was given
}

func (m *Meta) nodeDrainCommand() *cobra.Command {
	var f drainFlags
	cmd := &cobra.Command{
		Use:   "drain [-enable|-disable|-monitor] <node>",
		Short: "Move allocations off a node and stop it taking new ones",
		Long: `Drain toggles drain mode on a node. A draining node takes no new work; its
service allocations are stopped and replaced on other nodes, batch allocations
are left to finish until the deadline, and system allocations are stopped last
unless -ignore-system. When nothing is left the drain completes and the node
stays ineligible (see "node eligibility"). Without -detach the command follows
the drain until it completes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.deadlineSet = cmd.Flags().Changed("deadline")
			return m.nodeDrain(args[0], &f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.enable, "enable", false, "enable drain mode")
	fl.BoolVar(&f.disable, "disable", false, "disable drain mode")
	fl.DurationVar(&f.deadline, "deadline", defaultDrainDeadline, "how long allocations may take to move before the rest are stopped")
	fl.BoolVar(&f.force, "force", false, "stop every allocation at once (no deadline to migrate)")
	fl.BoolVar(&f.noDeadline, "no-deadline", false, "never force-stop: wait for batch allocations however long they run")
	fl.BoolVar(&f.ignoreSystem, "ignore-system", false, "leave system job allocations running")
	fl.BoolVar(&f.keepIneligible, "keep-ineligible", false, "with -disable: leave the node ineligible for new work")
	fl.BoolVar(&f.detach, "detach", false, "return once the drain is set, without monitoring it")
	fl.BoolVar(&f.monitorOnly, "monitor", false, "only monitor a drain already in progress")
	fl.BoolVar(&f.yes, "yes", false, "do not ask for confirmation")
	fl.BoolVar(&f.verbose, "verbose", false, "show full IDs")
	return cmd
}

// drainSpec turns the flags into the API's drain spec.
func (f *drainFlags) drainSpec() (*api.DrainSpec, error) {
	switch {
	case f.force && f.noDeadline:
		return nil, fmt.Errorf("-force and -no-deadline cannot be used together")
	case f.deadline < 0:
		return nil, fmt.Errorf("-deadline must be positive (use -force to stop everything now)")
	case f.deadlineSet && f.deadline == 0:
		// 0 is the API's "no deadline": say so rather than guess.
		return nil, fmt.Errorf("-deadline 0 is ambiguous: use -force to stop everything now, or -no-deadline to wait however long it takes")
	case f.deadlineSet && (f.force || f.noDeadline):
		return nil, fmt.Errorf("-deadline cannot be used with -force or -no-deadline: keep one of them")
	}
	spec := &api.DrainSpec{Deadline: f.deadline, IgnoreSystemJobs: f.ignoreSystem}
	switch {
	case f.force:
		spec.Deadline = -1
	case f.noDeadline:
		spec.Deadline = 0
	}
	return spec, nil
}

func (m *Meta) nodeDrain(prefix string, f *drainFlags) error {
	const doing = "updating drain"
	modes := 0
	for _, on := range []bool{f.enable, f.disable, f.monitorOnly} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return m.failf("Exactly one of -enable, -disable or -monitor is required")
	}
	if f.monitorOnly && f.detach {
		return m.failf("-monitor and -detach cannot be used together")
	}
	spec, err := f.drainSpec()
	if err != nil {
		return m.failf("Error: %v", err)
	}
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	id, err := m.resolveNode(c, prefix, doing, f.verbose)
	if err != nil {
		return err
	}
	if f.monitorOnly {
		node, _, err := c.Nodes().Info(id, nil)
		if err != nil {
			return m.fail(doing, err)
		}
		if !node.Drain {
			m.outf("No drain strategy set for node %s\n", id)
			return nil
		}
		return exit(m.monitorDrain(c, id, f.verbose))
	}
	verb := "enable"
	if f.disable {
		verb, spec = "disable", nil
	}
	if !f.yes && !m.confirm(fmt.Sprintf("Are you sure you want to %s drain mode for node %q? [y/N] ", verb, id)) {
		m.outf("Canceling drain toggle\n")
		return nil
	}
	if _, err := c.Nodes().UpdateDrain(id, spec, f.disable && !f.keepIneligible, nil); err != nil {
		return m.fail(doing, err)
	}
	if f.disable {
		m.outf("%s: Node %q drain strategy unset\n", m.stamp(), id)
		return nil
	}
	m.outf("%s: Node %q drain strategy set\n", m.stamp(), id)
	if f.detach {
		return nil
	}
	return exit(m.monitorDrain(c, id, f.verbose))
}

func (m *Meta) nodeEligibilityCommand() *cobra.Command {
	var enable, disable, verbose bool
	cmd := &cobra.Command{
		Use:   "eligibility [-enable|-disable] <node>",
		Short: "Mark a node eligible or ineligible for new allocations",
		Long: `Eligibility toggles whether the scheduler may place new allocations on a
node. Allocations already on it keep running. A draining node cannot be made
eligible: disable the drain instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if enable == disable {
				return m.failf("Exactly one of -enable or -disable is required")
			}
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			id, err := m.resolveNode(c, args[0], "updating eligibility", verbose)
			if err != nil {
				return err
			}
			if _, err := c.Nodes().ToggleEligibility(id, enable, nil); err != nil {
				return m.fail("updating scheduling eligibility", err)
			}
			state := "eligible"
			if disable {
				state = "ineligible"
			}
			m.outf("Node %q scheduling eligibility set: %s for scheduling\n", id, state)
			return nil
		},
	}
	cmd.Flags().BoolVar(&enable, "enable", false, "mark the node eligible")
	cmd.Flags().BoolVar(&disable, "disable", false, "mark the node ineligible")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

// stamp is the time prefix of monitor lines, as Nomad's.
func (m *Meta) stamp() string { return m.now().UTC().Format(time.RFC3339) }

// allocSeen is what the drain monitor last printed of an allocation.
type allocSeen struct{ desired, client string }

// monitorDrain follows a node's drain until it completes and the
// allocations it stopped have ended, printing what changes. It returns the
// exit code.
func (m *Meta) monitorDrain(c *api.Client, nodeID string, verbose bool) int {
	m.outf("%s: Ctrl-C to stop monitoring: will not cancel the node drain\n", m.stamp())
	seen := map[string]allocSeen{}
	var index uint64
	drainDone := false
	for {
		allocs, qm, err := c.Nodes().Allocations(nodeID, &api.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Second})
		if err != nil {
			fmt.Fprintf(m.Stderr, "Error monitoring drain of node %q: %v\n", nodeID, err)
			return 1
		}
		node, _, err := c.Nodes().Info(nodeID, nil)
		if err != nil {
			fmt.Fprintf(m.Stderr, "Error monitoring drain of node %q: %v\n", nodeID, err)
			return 1
		}
		stopping := m.printAllocChanges(allocs, seen, verbose)
		if !drainDone && !node.Drain {
			drainDone = true
			m.outf("%s: Drain complete for node %s\n", m.stamp(), nodeID)
		}
		if drainDone && (stopping == 0 || node.Status == api.NodeStatusDown) {
			m.outf("%s: All allocations on node %q have stopped\n", m.stamp(), nodeID)
			return 0
		}
		if qm != nil && qm.LastIndex > index {
			index = qm.LastIndex
		} else {
			time.Sleep(m.pollInterval) // the agent did not block
		}
	}
}

// printAllocChanges prints each allocation's new desired and client
// status and returns how many were told to stop but still run.
func (m *Meta) printAllocChanges(allocs []*api.Allocation, seen map[string]allocSeen, verbose bool) int {
	stopping := 0
	for _, a := range allocs {
		prev, known := seen[a.ID]
		id := shortID(a.ID, verbose)
		stopped := a.DesiredStatus != api.AllocDesiredStatusRun
		if stopped && prev.desired != a.DesiredStatus && (known || !a.ClientTerminalStatus()) {
			m.outf("%s: Alloc %q marked for migration\n", m.stamp(), id)
		}
		if known && prev.client != a.ClientStatus {
			m.outf("%s: Alloc %q status %s -> %s\n", m.stamp(), id, prev.client, a.ClientStatus)
		}
		seen[a.ID] = allocSeen{desired: a.DesiredStatus, client: a.ClientStatus}
		if stopped && !a.ClientTerminalStatus() {
			stopping++
		}
	}
	return stopping
}
