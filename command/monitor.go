package command

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/droverhq/drover/api"
)

// Exit codes of commands that follow an evaluation.
const (
	exitOK               = 0
	exitFailure          = 1
	exitPlacementFailure = 2
)

// monitorWait is how long each blocking read of the evaluation waits.
const monitorWait = 30 * time.Second

// evalMonitor follows one evaluation (and the evaluations it chains to)
// until it is terminal, printing what it created, as `job run` does.
type evalMonitor struct {
	m       *Meta
	client  *api.Client
	verbose bool
	// seen holds allocations already reported.
	seen map[string]bool
}

func (m *Meta) newMonitor(c *api.Client, verbose bool) *evalMonitor {
	return &evalMonitor{m: m, client: c, verbose: verbose, seen: map[string]bool{}}
}

// monitor follows evalID and returns the command's exit code.
func (em *evalMonitor) monitor(evalID string) int {
	out := em.m.Stdout
	fmt.Fprintf(out, "==> Monitoring evaluation %q\n", em.id(evalID))
	eval, code := em.follow(evalID)
	for code == exitOK && eval.NextEval != "" {
		fmt.Fprintf(out, "==> Monitoring next evaluation %q\n", em.id(eval.NextEval))
		eval, code = em.follow(eval.NextEval)
	}
	if code != exitOK {
		return code
	}
	return em.finish(eval)
}

// follow reads evalID with blocking queries until it is terminal.
func (em *evalMonitor) follow(evalID string) (*api.Evaluation, int) {
	var index uint64
	status := ""
	for first := true; ; first = false {
		q := &api.QueryOptions{WaitIndex: index, WaitTime: monitorWait}
		eval, qm, err := em.client.Evaluations().Info(evalID, q)
		if err != nil {
			fmt.Fprintf(em.m.Stderr, "Error reading evaluation %q: %v\n", em.id(evalID), err)
			return nil, exitFailure
		}
		if first {
			em.printTrigger(eval)
		}
		em.printAllocs(eval)
		status = em.printStatusChange(status, eval)
		if eval.TerminalStatus() {
			return eval, exitOK
		}
		if qm.LastIndex <= index {
			time.Sleep(em.m.pollInterval)
		}
		index = qm.LastIndex
	}
}

// printStatusChange reports a new status of the evaluation and returns it.
// A first read that is already terminal is reported as a change from
// pending.
func (em *evalMonitor) printStatusChange(prev string, eval *api.Evaluation) string {
	switch {
	case eval.Status == prev:
	case prev != "":
		fmt.Fprintf(em.m.Stdout, "    Evaluation status changed: %q -> %q\n", prev, eval.Status)
	case eval.TerminalStatus():
		fmt.Fprintf(em.m.Stdout, "    Evaluation status changed: %q -> %q\n", api.EvalStatusPending, eval.Status)
	}
	return eval.Status
}

func (em *evalMonitor) printTrigger(eval *api.Evaluation) {
	out := em.m.Stdout
	switch {
	case eval.NodeID != "":
		fmt.Fprintf(out, "    Evaluation triggered by node %q\n", em.id(eval.NodeID))
	case eval.JobID != "":
		fmt.Fprintf(out, "    Evaluation triggered by job %q\n", eval.JobID)
	}
}

// printAllocs reports allocations of the evaluation not reported yet:
// "created" for new ones, "modified" for ones that existed before it.
func (em *evalMonitor) printAllocs(eval *api.Evaluation) {
	allocs, _, err := em.client.Evaluations().Allocations(eval.ID, nil)
	if err != nil {
		fmt.Fprintf(em.m.Stderr, "Error reading allocations of evaluation %q: %v\n", em.id(eval.ID), err)
		return
	}
	for _, a := range allocs {
		if em.seen[a.ID] {
			continue
		}
		em.seen[a.ID] = true
		verb := "created"
		if a.CreateIndex < eval.CreateIndex {
			verb = "modified"
		}
		fmt.Fprintf(em.m.Stdout, "    Allocation %q %s: node %q, group %q\n",
			em.id(a.ID), verb, em.id(a.NodeID), a.TaskGroup)
	}
}

// finish prints the outcome of a terminal evaluation and returns the exit
// code: 2 when allocations could not be placed.
func (em *evalMonitor) finish(eval *api.Evaluation) int {
	out := em.m.Stdout
	if len(eval.FailedTGAllocs) == 0 && eval.Status != api.EvalStatusFailed {
		fmt.Fprintf(out, "==> Evaluation %q finished with status %q\n", em.id(eval.ID), eval.Status)
		return exitOK
	}
	if len(eval.FailedTGAllocs) == 0 {
		fmt.Fprintf(out, "==> Evaluation %q finished with status %q: %s\n",
			em.id(eval.ID), eval.Status, orNone(eval.StatusDescription))
		return exitPlacementFailure
	}
	fmt.Fprintf(out, "==> Evaluation %q finished with status %q but failed to place all allocations:\n",
		em.id(eval.ID), eval.Status)
	writeFailedPlacements(out, eval.FailedTGAllocs, "    ")
	if eval.BlockedEval != "" {
		fmt.Fprintf(out, "    Evaluation %q waiting for additional capacity to place remainder\n",
			em.id(eval.BlockedEval))
	}
	return exitPlacementFailure
}

func (em *evalMonitor) id(id string) string { return shortID(id, em.verbose) }

// writeFailedPlacements explains, per task group, why allocations could not
// be placed.
func writeFailedPlacements(w io.Writer, failed map[string]*api.AllocMetric, indent string) {
	for _, tg := range sortedKeys(failed) {
		metric := failed[tg]
		n := metric.CoalescedFailures + 1
		fmt.Fprintf(w, "%sTask Group %q (failed to place %d %s):\n", indent, tg, n, plural(n, "allocation"))
		writeAllocMetric(w, metric, indent+"  ")
	}
}

// writeAllocMetric prints the filters and exhausted dimensions that kept
// nodes out of a placement.
func writeAllocMetric(w io.Writer, m *api.AllocMetric, indent string) {
	for _, line := range allocMetricLines(m) {
		fmt.Fprintf(w, "%s* %s\n", indent, line)
	}
}

func allocMetricLines(m *api.AllocMetric) []string {
	var lines []string
	add := func(format string, args ...interface{}) { lines = append(lines, fmt.Sprintf(format, args...)) }
	if m.NodesEvaluated == 0 {
		add("No nodes were eligible for evaluation")
	}
	for _, dc := range sortedKeys(m.NodesAvailable) {
		if m.NodesAvailable[dc] == 0 {
			add("No nodes are available in datacenter %q", dc)
		}
	}
	for _, class := range sortedKeys(m.ClassFiltered) {
		add("Class %q: %d nodes excluded by filter", class, m.ClassFiltered[class])
	}
	for _, c := range sortedKeys(m.ConstraintFiltered) {
		add("Constraint %q: %d nodes excluded by filter", c, m.ConstraintFiltered[c])
	}
	if m.NodesExhausted > 0 {
		add("Resources exhausted on %d nodes", m.NodesExhausted)
	}
	for _, class := range sortedKeys(m.ClassExhausted) {
		add("Class %q exhausted on %d nodes", class, m.ClassExhausted[class])
	}
	for _, dim := range sortedKeys(m.DimensionExhausted) {
		add("Dimension %q exhausted on %d nodes", dim, m.DimensionExhausted[dim])
	}
	for _, q := range m.QuotaExhausted {
		add("Quota limit hit %q", q)
	}
	return lines
}

// writeScores prints the top node scores of a placement (alloc -verbose).
func writeScores(w io.Writer, m *api.AllocMetric) {
	if len(m.ScoreMetaData) == 0 {
		return
	}
	var names []string
	for _, s := range m.ScoreMetaData {
		for k := range s.Scores {
			if !slices.Contains(names, k) {
				names = append(names, k)
			}
		}
	}
	slices.SortFunc(names, compareScoreNames)
	header := append([]string{"Node"}, names...)
	header = append(header, "final score")
	rows := make([][]string, 0, len(m.ScoreMetaData))
	for _, s := range m.ScoreMetaData {
		row := []string{s.NodeID}
		for _, k := range names {
			row = append(row, fmt.Sprintf("%.3g", s.Scores[k]))
		}
		rows = append(rows, append(row, fmt.Sprintf("%.3g", s.NormScore)))
	}
	writeTable(w, header, rows)
}

// scoreOrder is the column order of the scores table, as Nomad prints it;
// other score names follow alphabetically.
var scoreOrder = []string{"binpack", "job-anti-affinity", "node-affinity", "allocation-spread", "node-reschedule-penalty"}

func compareScoreNames(a, b string) int {
	ia, ib := slices.Index(scoreOrder, a), slices.Index(scoreOrder, b)
	switch {
	case ia >= 0 && ib >= 0:
		return ia - ib
	case ia >= 0:
		return -1
	case ib >= 0:
		return 1
	}
	return strings.Compare(a, b)
}

// joinOrNone joins list with commas, "<none>" when empty.
func joinOrNone(list []string) string { return orNone(strings.Join(list, ",")) }
