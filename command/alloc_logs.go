package command

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// defaultTailLines is how many lines -tail shows without -n; tailProbe is
// how many bytes from the end are read to find them without -c.
const (
	defaultTailLines = 10
	tailProbe        = 64 << 10
)

type logsFlags struct {
	follow, stderr, tail, verbose bool
	lines                         int
	bytes                         int64
}

func (m *Meta) allocLogsCommand() *cobra.Command {
	var f logsFlags
	cmd := &cobra.Command{
		Use:   "logs [-f] [-stderr] [-tail] [-n N] [-c BYTES] <allocation> [<task>]",
		Short: "Stream the logs of a task",
		Long: `Print a task's stdout (or stderr with -stderr). The task may be left out
when the allocation's group has one task. -f keeps printing new output as
the task writes it; -tail starts at the end (the last -n lines, or the last
-c bytes).`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("lines") && f.lines < 0 {
				return m.failf("Error reading logs: -n %d is negative: give how many lines to show, 0 or more", f.lines)
			}
			if cmd.Flags().Changed("bytes") && f.bytes < 0 {
				return m.failf("Error reading logs: -c %d is negative: give how many bytes to show, 0 or more", f.bytes)
			}
			task := ""
			if len(args) == 2 {
				task = args[1]
			}
			return m.allocLogs(args[0], task, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.follow, "follow", "f", false, "keep streaming new output")
	fl.BoolVar(&f.stderr, "stderr", false, "show stderr instead of stdout")
	fl.BoolVar(&f.tail, "tail", false, "start at the end of the log")
	fl.IntVarP(&f.lines, "lines", "n", -1, "with -tail: how many lines (default 10)")
	fl.Int64VarP(&f.bytes, "bytes", "c", -1, "with -tail: how many bytes")
	fl.BoolVar(&f.verbose, "verbose", false, "show full IDs")
	return cmd
}

// allocAndTask resolves an alloc prefix and picks its task: the named one,
// or the group's only task.
func (m *Meta) allocAndTask(prefix, task, doing string) (*api.Client, *api.Allocation, string, error) {
	c, err := m.client()
	if err != nil {
		return nil, nil, "", m.fail("creating API client", err)
	}
	id, err := m.resolveAlloc(c, prefix, doing, false)
	if err != nil {
		return nil, nil, "", err
	}
	alloc, _, err := c.Allocations().Info(id, nil)
	if err != nil {
		return nil, nil, "", m.fail(doing, err)
	}
	tasks := allocTasks(alloc)
	if task == "" {
		if len(tasks) != 1 {
			return nil, nil, "", m.failf("Error %s: allocation %s has tasks %s: name one", doing, shortID(alloc.ID, false), strings.Join(tasks, ", "))
		}
		return c, alloc, tasks[0], nil
	}
	for _, t := range tasks {
		if t == task {
			return c, alloc, task, nil
		}
	}
	if len(tasks) == 0 {
		return c, alloc, task, nil // no job to check against: let the agent say
	}
	return nil, nil, "", m.failf("Error %s: allocation %s has no task %q (tasks: %s)", doing, shortID(alloc.ID, false), task, strings.Join(tasks, ", "))
}

// allocTasks names the tasks of an allocation's group.
func allocTasks(a *api.Allocation) []string {
	if a.Job != nil {
		for _, tg := range a.Job.TaskGroups {
			if tg.Name == a.TaskGroup {
				out := make([]string, 0, len(tg.Tasks))
				for _, t := range tg.Tasks {
					out = append(out, t.Name)
				}
				return out
			}
		}
	}
	return sortedKeys(a.TaskStates)
}

// interruptContext ends on SIGINT or SIGTERM, so following stops cleanly.
func interruptContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func (m *Meta) allocLogs(prefix, task string, f logsFlags) error {
	const doing = "reading logs"
	c, alloc, task, err := m.allocAndTask(prefix, task, doing)
	if err != nil {
		return err
	}
	ctx, cancel := interruptContext()
	defer cancel()
	opts := &api.LogsOptions{Task: task, Type: "stdout", Follow: f.follow, Origin: "start"}
	if f.stderr {
		opts.Type = "stderr"
	}
	q := (&api.QueryOptions{}).WithContext(ctx)
	if f.tail {
		if err := m.printTail(c, alloc.ID, opts, f, q); err != nil {
			return m.fail(doing, err)
		}
		if !f.follow {
			return nil
		}
		opts.Origin, opts.Offset = "end", 0
	}
	body, err := c.AllocFS().Logs(alloc.ID, opts, q)
	if err != nil {
		return m.fail(doing, err)
	}
	defer body.Close()
	if _, err := io.Copy(m.Stdout, body); err != nil && ctx.Err() == nil {
		return m.fail(doing, err)
	}
	return nil
}

// printTail prints the end of the log: the last -c bytes, else the last -n
// lines.
func (m *Meta) printTail(c *api.Client, allocID string, opts *api.LogsOptions, f logsFlags, q *api.QueryOptions) error {
	o := *opts
	o.Follow, o.Origin, o.Offset = false, "end", tailProbe
	if f.bytes >= 0 {
		o.Offset = f.bytes
	}
	body, err := c.AllocFS().Logs(allocID, &o, q)
	if err != nil {
		return err
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if f.bytes < 0 {
		n := f.lines
		if n < 0 {
			n = defaultTailLines
		}
		data = lastLines(data, n)
	}
	_, err = m.Stdout.Write(data)
	return err
}

// lastLines returns the last n lines of data.
func lastLines(data []byte, n int) []byte {
	if n == 0 {
		return nil
	}
	end := len(data)
	if end > 0 && data[end-1] == '\n' {
		end--
	}
	for i := 0; i < n; i++ {
		j := bytes.LastIndexByte(data[:end], '\n')
		if j < 0 {
			return data
		}
		if i == n-1 {
			return data[j+1:]
		}
		end = j
	}
	return data
}
