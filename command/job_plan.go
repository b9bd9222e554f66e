package command

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// Exit codes of `job plan`, as Nomad's: 0 when no allocation would be
// created or destroyed, 1 when some would, 255 on an error.
const (
	exitPlanNoChange = 0
	exitPlanChanges  = 1
	exitPlanError    = 255
)

func (m *Meta) jobPlanCommand() *cobra.Command {
	var (
		ff                    jobFileFlags
		diff, verbose, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "plan <file>",
		Short: "Dry-run a job file: show the diff and what the scheduler would do",
		Long: `Plan invokes a dry run of the scheduler for the job file: nothing is
registered or changed. It prints the difference from the running version of
the job, what would be created, updated in place, replaced or destroyed, and
placement failures, then the job modify index to submit exactly this plan
with "job run -check-index".

Exit codes: 0 no allocations created or destroyed, 1 allocations created or
destroyed, 255 error.`,
		// Exit 1 means "changes" here, so usage errors exit 255 as well.
		Annotations: map[string]string{usageExitCodeKey: strconv.Itoa(exitPlanError)},
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := m.loadJob(args[0], &ff)
			if err != nil {
				fmt.Fprintf(m.Stderr, "Error parsing job file: %v\n", err)
				return exit(exitPlanError)
			}
			c, err := m.client()
			if err != nil {
				fmt.Fprintf(m.Stderr, "Error creating API client: %v\n", err)
				return exit(exitPlanError)
			}
			resp, _, err := c.Jobs().Plan(job, diff, nil)
			if err != nil {
				fmt.Fprintf(m.Stderr, "Error during plan: %v\n", err)
				return exit(exitPlanError)
			}
			if asJSON {
				if err := writeJSON(m.Stdout, resp); err != nil {
					return exit(exitPlanError)
				}
				return exit(planExitCode(resp))
			}
			m.printPlan(resp, args[0], diff, verbose)
			return exit(planExitCode(resp))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&diff, "diff", true, "show the difference from the registered job")
	f.BoolVar(&verbose, "verbose", false, "show unchanged tasks and full placement failure details")
	f.BoolVar(&asJSON, "json", false, "print the plan response as JSON")
	addJobFileFlags(cmd, &ff)
	return cmd
}

// planExitCode is 1 when the plan creates or destroys allocations.
func planExitCode(resp *api.JobPlanResponse) int {
	if resp.Annotations == nil {
		return exitPlanNoChange
	}
	for _, d := range resp.Annotations.DesiredTGUpdates {
		if d.Stop+d.Place+d.Migrate+d.DestructiveUpdate+d.Canary+d.Preemptions > 0 {
			return exitPlanChanges
		}
	}
	return exitPlanNoChange
}

// printPlan prints a plan as Nomad's `job plan` does.
func (m *Meta) printPlan(resp *api.JobPlanResponse, path string, diff, verbose bool) {
	out := m.Stdout
	if diff && resp.Diff != nil {
		writeJobDiff(out, resp.Diff, verbose)
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out, "Scheduler dry-run:")
	if len(resp.FailedTGAllocs) == 0 {
		fmt.Fprintln(out, "- All tasks successfully allocated.")
	} else {
		fmt.Fprintln(out, "- WARNING: Failed to place all allocations.")
		writeFailedPlacements(out, resp.FailedTGAllocs, "  ")
	}
	writePreemptions(out, resp)
	if resp.Warnings != "" {
		fmt.Fprintf(out, "\nJob Warnings:\n%s\n", resp.Warnings)
	}
	fmt.Fprintf(out, "\nJob Modify Index: %d\n", resp.JobModifyIndex)
	fmt.Fprintf(out, "To submit the job with version verification run:\n\n")
	fmt.Fprintf(out, "drover job run -check-index %d %s\n\n", resp.JobModifyIndex, path)
	fmt.Fprintln(out, `When running the job with the check-index flag, the job will only be run if the
job modify index given matches the server-side version. If the index has
changed, another user has modified the job and the plan's results are
potentially invalid.`)
}

// preemptionDisplayThreshold is how many preempted allocations `job plan`
// lists one by one; more are summarized per job, as Nomad does.
const preemptionDisplayThreshold = 10

// writePreemptions lists groups whose placements would evict allocations,
// then the allocations themselves.
func writePreemptions(w io.Writer, resp *api.JobPlanResponse) {
	if resp.Annotations == nil {
		return
	}
	for _, name := range sortedKeys(resp.Annotations.DesiredTGUpdates) {
		if n := resp.Annotations.DesiredTGUpdates[name].Preemptions; n > 0 {
			fmt.Fprintf(w, "- Task Group %q would preempt %d %s of lower-priority jobs.\n", name, n, plural(int(n), "allocation"))
		}
	}
	preempted := resp.Annotations.PreemptedAllocs
	if len(preempted) == 0 {
		return
	}
	fmt.Fprintf(w, "\nPreemptions:\n\n")
	if len(preempted) < preemptionDisplayThreshold {
		rows := make([][]string, 0, len(preempted))
		for _, a := range preempted {
			rows = append(rows, []string{a.ID, a.JobID, a.TaskGroup})
		}
		writeTable(w, []string{"Alloc ID", "Job ID", "Task Group"}, rows)
		return
	}
	type jobKey struct{ id, ns, typ string }
	counts := map[jobKey]int{}
	var order []jobKey
	for _, a := range preempted {
		k := jobKey{a.JobID, a.Namespace, a.JobType}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	rows := make([][]string, 0, len(order))
	for _, k := range order {
		rows = append(rows, []string{k.id, orNone(k.ns), orNone(k.typ), fmt.Sprint(counts[k])})
	}
	writeTable(w, []string{"Job ID", "Namespace", "Job Type", "Preemptions"}, rows)
}

// diffMarker is the sign Nomad puts before a changed line.
func diffMarker(t string) string {
	switch t {
	case api.DiffTypeAdded:
		return "+"
	case api.DiffTypeDeleted:
		return "-"
	case api.DiffTypeEdited:
		return "+/-"
	}
	return ""
}

// markedPrefix is the marker and a space ("+ ", "+/- "); an unchanged
// line gets four spaces, to line up under edited ones.
func markedPrefix(t string) string {
	if m := diffMarker(t); m != "" {
		return m + " "
	}
	return "    "
}

// writeJobDiff prints the job's diff: the job line, its fields and
// objects, then each task group with its update counts and tasks.
func writeJobDiff(w io.Writer, d *api.JobDiff, verbose bool) {
	fmt.Fprintf(w, "%sJob: %q\n", markedPrefix(d.Type), d.ID)
	writeFields(w, d.Fields, "  ")
	writeObjects(w, d.Objects, "  ")
	for _, tg := range d.TaskGroups {
		writeGroupDiff(w, tg, verbose)
	}
}

func writeGroupDiff(w io.Writer, tg *api.TaskGroupDiff, verbose bool) {
	line := fmt.Sprintf("%sTask Group: %q", markedPrefix(tg.Type), tg.Name)
	if len(tg.Updates) > 0 {
		names := make([]string, 0, len(tg.Updates))
		for k := range tg.Updates {
			names = append(names, k)
		}
		sort.Strings(names)
		parts := make([]string, 0, len(names))
		for _, k := range names {
			parts = append(parts, fmt.Sprintf("%d %s", tg.Updates[k], k))
		}
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintln(w, line)
	writeFields(w, tg.Fields, "  ")
	writeObjects(w, tg.Objects, "  ")
	for _, t := range tg.Tasks {
		if t.Type == api.DiffTypeNone && !verbose && len(tg.Tasks) > 1 {
			continue
		}
		line := fmt.Sprintf("  %sTask: %q", markedPrefix(t.Type), t.Name)
		if len(t.Annotations) > 0 {
			line += " (" + strings.Join(t.Annotations, ", ") + ")"
		}
		fmt.Fprintln(w, line)
		writeFields(w, t.Fields, "    ")
		writeObjects(w, t.Objects, "    ")
	}
}

func writeFields(w io.Writer, fields []*api.FieldDiff, indent string) {
	for _, f := range fields {
		var value string
		switch f.Type {
		case api.DiffTypeAdded:
			value = fmt.Sprintf("%q", f.New)
		case api.DiffTypeDeleted:
			value = fmt.Sprintf("%q", f.Old)
		case api.DiffTypeEdited:
			value = fmt.Sprintf("%q => %q", f.Old, f.New)
		default:
			value = fmt.Sprintf("%q", f.New)
		}
		line := fmt.Sprintf("%s%s%s: %s", indent, markedPrefix(f.Type), f.Name, value)
		if len(f.Annotations) > 0 {
			line += " (" + strings.Join(f.Annotations, ", ") + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func writeObjects(w io.Writer, objects []*api.ObjectDiff, indent string) {
	for _, o := range objects {
		fmt.Fprintf(w, "%s%s%s {\n", indent, markedPrefix(o.Type), o.Name)
		writeFields(w, o.Fields, indent+"  ")
		writeObjects(w, o.Objects, indent+"  ")
		fmt.Fprintf(w, "%s  }\n", indent)
	}
}
