package command

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// evalCommand is the "eval" group: status and list.
func (m *Meta) evalCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Interact with evaluations",
	}
	cmd.AddCommand(m.evalStatusCommand(), m.evalListCommand())
	return cmd
}

func (m *Meta) evalStatusCommand() *cobra.Command {
	var asJSON, verbose bool
	cmd := &cobra.Command{
		Use:   "status <evaluation>",
		Short: "Show an evaluation and why its placements failed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.evalStatus(args[0], asJSON, verbose)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the evaluation as JSON")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

func (m *Meta) evalStatus(prefix string, asJSON, verbose bool) error {
	const doing = "getting evaluation status"
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	id, err := m.resolveEval(c, prefix, doing, verbose)
	if err != nil {
		return err
	}
	eval, _, err := c.Evaluations().Info(id, nil)
	if err != nil {
		return m.fail(doing, err)
	}
	if asJSON {
		return writeJSON(m.Stdout, eval)
	}
	m.printEval(eval, verbose)
	return nil
}

func (m *Meta) printEval(e *api.Evaluation, verbose bool) {
	pairs := []kv{
		{"ID", shortID(e.ID, verbose)},
		{"Create Time", formatUnixNano(e.CreateTime)},
		{"Modify Time", formatUnixNano(e.ModifyTime)},
		{"Status", e.Status},
		{"Status Description", orNone(e.StatusDescription)},
		{"Type", e.Type},
		{"TriggeredBy", e.TriggeredBy},
	}
	if e.JobID != "" {
		pairs = append(pairs, kv{"Job ID", e.JobID})
	}
	if e.NodeID != "" {
		pairs = append(pairs, kv{"Node ID", shortID(e.NodeID, verbose)})
	}
	if e.DeploymentID != "" {
		pairs = append(pairs, kv{"Deployment ID", shortID(e.DeploymentID, verbose)})
	}
	pairs = append(pairs,
		kv{"Namespace", orNone(e.Namespace)},
		kv{"Priority", fmt.Sprint(e.Priority)},
		kv{"Placement Failures", fmt.Sprint(len(e.FailedTGAllocs) > 0)},
	)
	if e.BlockedEval != "" {
		pairs = append(pairs, kv{"Blocked Eval", shortID(e.BlockedEval, verbose)})
	}
	writeKV(m.Stdout, pairs)
	if len(e.FailedTGAllocs) == 0 {
		return
	}
	m.outf("\nFailed Placements\n")
	writeFailedPlacements(m.Stdout, e.FailedTGAllocs, "")
	if e.BlockedEval != "" {
		m.outf("Evaluation %q waiting for additional capacity to place remainder\n", shortID(e.BlockedEval, verbose))
	}
}

func (m *Meta) evalListCommand() *cobra.Command {
	var asJSON, verbose bool
	var jobID, status string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List evaluations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validEvalStatus(status) {
				return m.failf("Error listing evaluations: -status %q is not an evaluation status: use %s", status, strings.Join(evalStatuses, ", "))
			}
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			evals, _, err := c.Evaluations().List(nil)
			if err != nil {
				return m.fail("querying evaluations", err)
			}
			evals = filterEvals(evals, jobID, status)
			if asJSON {
				return writeJSON(m.Stdout, evals)
			}
			if len(evals) == 0 {
				m.outf("No evals found\n")
				return nil
			}
			m.writeEvalList(m.Stdout, evals, verbose)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the evaluations as JSON")
	f.BoolVar(&verbose, "verbose", false, "show full IDs")
	f.StringVar(&jobID, "job", "", "only evaluations of this job")
	f.StringVar(&status, "status", "", "only evaluations with this status")
	return cmd
}

// evalStatuses are the values -status takes.
var evalStatuses = []string{api.EvalStatusPending, api.EvalStatusBlocked, api.EvalStatusComplete,
	api.EvalStatusFailed, api.EvalStatusCanceled}

// validEvalStatus reports whether s is empty (no filter) or a status.
func validEvalStatus(s string) bool {
	return s == "" || slices.Contains(evalStatuses, s)
}

// filterEvals keeps the evaluations of jobID with status; empty matches all.
func filterEvals(evals []*api.Evaluation, jobID, status string) []*api.Evaluation {
	out := evals[:0:0]
	for _, e := range evals {
		if (jobID == "" || e.JobID == jobID) && (status == "" || e.Status == status) {
			out = append(out, e)
		}
	}
	return out
}

func (m *Meta) writeEvalList(w io.Writer, evals []*api.Evaluation, verbose bool) {
	rows := make([][]string, 0, len(evals))
	for _, e := range evals {
		rows = append(rows, []string{
			shortID(e.ID, verbose), fmt.Sprint(e.Priority), e.TriggeredBy, orNone(e.JobID), orNone(e.Namespace),
			orNone(shortID(e.NodeID, verbose)), e.Status, fmt.Sprint(len(e.FailedTGAllocs) > 0),
		})
	}
	writeTable(w, []string{"ID", "Priority", "Triggered By", "Job ID", "Namespace", "Node ID", "Status", "Placement Failures"}, rows)
}
