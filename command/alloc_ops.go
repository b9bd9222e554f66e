package command

import (
	"fmt"
	"strings"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// alloc restart, stop and signal, and the -stats part of alloc status.

func (m *Meta) allocRestartCommand() *cobra.Command {
	var task string
	var all, verbose bool
	cmd := &cobra.Command{
		Use:   "restart [-task <task> | -all-tasks] <allocation> [<task>]",
		Short: "Restart the tasks of an allocation in place",
		Long: `Restart a running task (or, without -task, every running task) of the
allocation on its client, outside the restart policy. The task shows a
"Restart Signaled" event.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				if task != "" && task != args[1] {
					return m.failf("Error: give the task either as -task or as an argument, not both")
				}
				task = args[1]
			}
			if all && task != "" {
				return m.failf("Error: -all-tasks and a task name exclude each other")
			}
			return m.allocRestart(args[0], task, all, verbose)
		},
	}
	cmd.Flags().StringVar(&task, "task", "", "restart only this task")
	cmd.Flags().BoolVar(&all, "all-tasks", false, "restart every task")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

func (m *Meta) allocRestart(prefix, task string, all, verbose bool) error {
	const doing = "restarting allocation"
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	id, err := m.resolveAlloc(c, prefix, doing, verbose)
	if err != nil {
		return err
	}
	if err := c.Allocations().Restart(id, task, all, nil); err != nil {
		return m.fail(doing, err)
	}
	what := "all running tasks"
	if task != "" {
		what = fmt.Sprintf("task %q", task)
	}
	m.outf("Restarted %s of allocation %q\n", what, shortID(id, verbose))
	return nil
}

func (m *Meta) allocSignalCommand() *cobra.Command {
	var task, sig string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "signal [-s <signal>] [-task <task>] <allocation> [<task>]",
		Short: "Send a signal to the tasks of an allocation",
		Long: `Send a signal (default SIGKILL, as Nomad) to a task, or without -task to
every running task of the allocation.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				task = args[1]
			}
			return m.allocSignal(args[0], task, sig, verbose)
		},
	}
	cmd.Flags().StringVarP(&sig, "signal", "s", "SIGKILL", "the signal, e.g. SIGHUP or HUP")
	cmd.Flags().StringVar(&task, "task", "", "signal only this task")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

func (m *Meta) allocSignal(prefix, task, sig string, verbose bool) error {
	const doing = "signaling allocation"
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	id, err := m.resolveAlloc(c, prefix, doing, verbose)
	if err != nil {
		return err
	}
	sig = strings.ToUpper(sig)
	if !strings.HasPrefix(sig, "SIG") {
		sig = "SIG" + sig
	}
	if err := c.Allocations().Signal(id, task, sig, nil); err != nil {
		return m.fail(doing, err)
	}
	m.outf("Sent %s to allocation %q\n", sig, shortID(id, verbose))
	return nil
}

func (m *Meta) allocStopCommand() *cobra.Command {
	var detach, verbose bool
	cmd := &cobra.Command{
		Use:   "stop [-detach] <allocation>",
		Short: "Stop an allocation; the scheduler replaces it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.allocStop(args[0], detach, verbose)
		},
	}
	cmd.Flags().BoolVar(&detach, "detach", false, "return right away, without monitoring the evaluation")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

func (m *Meta) allocStop(prefix string, detach, verbose bool) error {
	const doing = "stopping allocation"
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	id, err := m.resolveAlloc(c, prefix, doing, verbose)
	if err != nil {
		return err
	}
	resp, err := c.Allocations().Stop(id, nil)
	if err != nil {
		return m.fail(doing, err)
	}
	if detach {
		m.outf("%s\n", resp.EvalID)
		return nil
	}
	return exit(m.newMonitor(c, verbose).monitor(resp.EvalID))
}

// printAllocStats prints each task's resource usage (alloc status -stats).
func (m *Meta) printAllocStats(c *api.Client, allocID string) {
	st, err := c.Allocations().Stats(allocID, nil)
	if err != nil {
		fmt.Fprintf(m.Stderr, "Error reading allocation stats: %v\n", err)
		return
	}
	m.outf("\nTask Resource Usage:\n")
	rows := [][]string{}
	for _, name := range sortedKeys(st.Tasks) {
		u := st.Tasks[name].ResourceUsage
		cpu, mem := "-", "-"
		if u != nil && u.CpuStats != nil {
			cpu = fmt.Sprintf("%.1f%% (%.0f ms total)", u.CpuStats.Percent, u.CpuStats.TotalTicks)
		}
		if u != nil && u.MemoryStats != nil {
			mem = humanSize(int64(u.MemoryStats.RSS))
		}
		rows = append(rows, []string{name, cpu, mem})
	}
	writeTable(m.Stdout, []string{"Task", "CPU", "Memory"}, rows)
}
