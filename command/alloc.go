package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// maxRecentEvents is how many task events alloc status shows per task.
const maxRecentEvents = 10

// allocCommand is the "alloc" group: status.
func (m *Meta) allocCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alloc",
		Short: "Interact with allocations",
	}
	cmd.AddCommand(m.allocStatusCommand())
	cmd.AddCommand(m.allocLogsCommand(), m.allocFSCommand(), m.allocExecCommand(),
		m.allocRestartCommand(), m.allocStopCommand(), m.allocSignalCommand())
	return cmd
}

func (m *Meta) allocStatusCommand() *cobra.Command {
	var asJSON, verbose, stats bool
	cmd := &cobra.Command{
		Use:   "status <allocation>",
		Short: "Show an allocation and its tasks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.allocStatus(args[0], asJSON, verbose, stats)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the allocation as JSON")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs and placement metrics")
	cmd.Flags().BoolVar(&stats, "stats", false, "show each task's cpu and memory usage")
	return cmd
}

func (m *Meta) allocStatus(prefix string, asJSON, verbose, stats bool) error {
	const doing = "getting allocation status"
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	id, err := m.resolveAlloc(c, prefix, doing, verbose)
	if err != nil {
		return err
	}
	alloc, _, err := c.Allocations().Info(id, nil)
	if err != nil {
		return m.fail(doing, err)
	}
	if asJSON {
		return writeJSON(m.Stdout, alloc)
	}
	m.printAlloc(alloc, verbose)
	if stats {
		m.printAllocStats(c, alloc.ID)
	}
	return nil
}

func (m *Meta) printAlloc(a *api.Allocation, verbose bool) {
	now := m.now()
	version := "<none>"
	if a.Job != nil {
		version = fmt.Sprint(a.Job.Version)
	}
	pairs := []kv{
		{"ID", shortID(a.ID, verbose)},
		{"Eval ID", shortID(a.EvalID, verbose)},
		{"Name", a.Name},
		{"Node ID", shortID(a.NodeID, verbose)},
		{"Node Name", orNone(a.NodeName)},
		{"Job ID", a.JobID},
		{"Job Version", version},
		{"Client Status", a.ClientStatus},
		{"Client Description", orNone(a.ClientDescription)},
		{"Desired Status", a.DesiredStatus},
		{"Desired Description", orNone(a.DesiredDescription)},
		{"Created", relativeTime(now, a.CreateTime)},
		{"Modified", relativeTime(now, a.ModifyTime)},
	}
	writeKV(m.Stdout, append(pairs, preemptionPairs(a, verbose)...))
	for _, name := range sortedKeys(a.TaskStates) {
		m.printTask(a, name)
	}
	if verbose && a.Metrics != nil {
		m.printPlacementMetrics(a.Metrics)
	}
}

// preemptionPairs are the alloc status lines about preemption: which
// allocations this one evicted, and which allocation evicted this one.
func preemptionPairs(a *api.Allocation, verbose bool) []kv {
	var out []kv
	if len(a.PreemptedAllocations) > 0 {
		ids := make([]string, len(a.PreemptedAllocations))
		for i, id := range a.PreemptedAllocations {
			ids[i] = shortID(id, verbose)
		}
		out = append(out, kv{"Preempted Allocations", strings.Join(ids, ", ")})
	}
	if a.PreemptedByAllocation != "" {
		out = append(out, kv{"Preempted By", shortID(a.PreemptedByAllocation, verbose)})
	}
	return out
}

// printTask prints one task's state, resources and recent events.
func (m *Meta) printTask(a *api.Allocation, name string) {
	st := a.TaskStates[name]
	m.outf("\nTask %q is %q\n", name, st.State)
	if a.AllocatedResources != nil {
		if r := a.AllocatedResources.Tasks[name]; r != nil {
			m.outf("Task Resources:\n")
			writeTable(m.Stdout, []string{"CPU", "Memory"}, [][]string{{
				fmt.Sprintf("%d MHz", r.Cpu.CpuShares), fmt.Sprintf("%d MiB", r.Memory.MemoryMB),
			}})
			m.outf("\n")
		}
	}
	m.outf("Task Events:\n")
	writeKV(m.Stdout, []kv{
		{"Started At", formatTime(st.StartedAt)},
		{"Finished At", formatTime(st.FinishedAt)},
		{"Total Restarts", fmt.Sprint(st.Restarts)},
		{"Last Restart", formatTime(st.LastRestart)},
	})
	m.outf("\nRecent Events:\n")
	writeTable(m.Stdout, []string{"Time", "Type", "Description"}, eventRows(st.Events))
}

// eventRows lists task events newest first, at most maxRecentEvents.
func eventRows(events []*api.TaskEvent) [][]string {
	sorted := append([]*api.TaskEvent(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Time > sorted[j].Time })
	if len(sorted) > maxRecentEvents {
		sorted = sorted[:maxRecentEvents]
	}
	rows := make([][]string, 0, len(sorted))
	for _, e := range sorted {
		rows = append(rows, []string{formatUnixNano(e.Time), e.Type, eventDescription(e)})
	}
	return rows
}

func eventDescription(e *api.TaskEvent) string {
	switch {
	case e.DisplayMessage != "":
		return e.DisplayMessage
	case e.Message != "":
		return e.Message
	case e.Type == api.TaskTerminated:
		return fmt.Sprintf("Exit Code: %d", e.ExitCode)
	}
	return ""
}

// formatTime formats t as RFC 3339, "N/A" when zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return t.Local().Format(time.RFC3339)
}

func (m *Meta) printPlacementMetrics(metrics *api.AllocMetric) {
	m.outf("\nPlacement Metrics\n")
	writeAllocMetric(m.Stdout, metrics, "  ")
	m.outf("  * Nodes evaluated: %d, filtered: %d, exhausted: %d\n",
		metrics.NodesEvaluated, metrics.NodesFiltered, metrics.NodesExhausted)
	writeScores(m.Stdout, metrics)
}
