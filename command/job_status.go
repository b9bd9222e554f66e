package command

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

func (m *Meta) jobStatusCommand() *cobra.Command {
	var asJSON, verbose bool
	cmd := &cobra.Command{
		Use:   "status [job]",
		Short: "List jobs, or show one job's status",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return m.listJobs(asJSON)
			}
			return m.jobStatus(args[0], asJSON, verbose)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API objects as JSON")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

// listJobs prints the table of all jobs.
func (m *Meta) listJobs(asJSON bool) error {
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	jobs, _, err := c.Jobs().List(nil)
	if err != nil {
		return m.fail("querying jobs", err)
	}
	if asJSON {
		return writeJSON(m.Stdout, jobs)
	}
	if len(jobs) == 0 {
		m.outf("No running jobs\n")
		return nil
	}
	m.writeJobList(m.Stdout, jobs)
	return nil
}

func (m *Meta) writeJobList(w io.Writer, jobs []*api.JobListStub) {
	// Jobs of several namespaces (-namespace '*') may share IDs: show the
	// namespace then, as Nomad does.
	multiNS := false
	for _, j := range jobs {
		if j.Namespace != jobs[0].Namespace {
			multiNS = true
			break
		}
	}
	rows := make([][]string, 0, len(jobs))
	for _, j := range jobs {
		status := j.Status
		if j.Stop {
			status = "dead (stopped)"
		}
		row := []string{j.ID, j.Type, fmt.Sprint(j.Priority), status, formatUnixNano(j.SubmitTime)}
		if multiNS {
			row = append([]string{j.ID, j.Namespace}, row[1:]...)
		}
		rows = append(rows, row)
	}
	header := []string{"ID", "Type", "Priority", "Status", "Submit Date"}
	if multiNS {
		header = []string{"ID", "Namespace", "Type", "Priority", "Status", "Submit Date"}
	}
	writeTable(w, header, rows)
}

// jobStatusView is everything `job status JOB` shows; -json prints it.
type jobStatusView struct {
	Job         *api.Job
	Summary     *api.JobSummary
	Evaluations []*api.Evaluation
	Allocations []*api.AllocationListStub
	Children    []*api.JobListStub `json:",omitempty"` // of a periodic or parameterized job
}

// jobStatus prints one job's details, summary, placement failures and
// allocations.
func (m *Meta) jobStatus(prefix string, asJSON, verbose bool) error {
	const doing = "getting job status"
	c, id, err := m.clientAndJob(prefix, doing)
	if err != nil {
		return err
	}
	v, err := fetchJobStatus(c, id)
	if err != nil {
		return m.fail(doing, err)
	}
	if asJSON {
		return writeJSON(m.Stdout, v)
	}
	m.printJobStatus(v, verbose)
	return nil
}

func fetchJobStatus(c *api.Client, id string) (*jobStatusView, error) {
	v := &jobStatusView{}
	var err error
	if v.Job, _, err = c.Jobs().Info(id, nil); err != nil {
		return nil, err
	}
	if v.Summary, _, err = c.Jobs().Summary(id, nil); err != nil {
		return nil, err
	}
	if v.Evaluations, _, err = c.Jobs().Evaluations(id, nil); err != nil {
		return nil, err
	}
	if v.Allocations, _, err = c.Jobs().Allocations(id, false, nil); err != nil {
		return nil, err
	}
	if v.Children, err = fetchChildren(c, v.Job); err != nil {
		return nil, err
	}
	return v, nil
}

func (m *Meta) printJobStatus(v *jobStatusView, verbose bool) {
	writeKV(m.Stdout, append(jobDetails(v.Job), launchDetails(v.Job, m.now())...))
	m.printJobSummary(v.Summary)
	m.printChildren(v.Job, v.Children)
	m.printPlacementFailure(v.Evaluations, verbose)
	m.outf("\nAllocations\n")
	if len(v.Allocations) == 0 {
		m.outf("No allocations placed\n")
		return
	}
	m.writeAllocTable(m.Stdout, v.Allocations, verbose)
}

func jobDetails(j *api.Job) []kv {
	dcs := "<none>"
	if len(j.Datacenters) > 0 {
		dcs = strings.Join(j.Datacenters, ",")
	}
	return []kv{
		{"ID", j.ID},
		{"Name", j.Name},
		{"Submit Date", formatUnixNano(j.SubmitTime)},
		{"Type", j.Type},
		{"Priority", fmt.Sprint(j.Priority)},
		{"Datacenters", dcs},
		{"Namespace", orNone(j.Namespace)},
		{"Node Pool", orNone(j.NodePool)},
		{"Status", jobStatusString(j)},
		{"Periodic", fmt.Sprint(j.Periodic != nil && j.Periodic.Enabled)},
		{"Parameterized", fmt.Sprint(j.ParameterizedJob != nil)},
	}
}

func jobStatusString(j *api.Job) string {
	if j.Stop {
		return "dead (stopped)"
	}
	return j.Status
}

func (m *Meta) printJobSummary(s *api.JobSummary) {
	m.outf("\nSummary\n")
	if s == nil || len(s.Summary) == 0 {
		m.outf("No task groups\n")
		return
	}
	var rows [][]string
	for _, tg := range sortedKeys(s.Summary) {
		c := s.Summary[tg]
		rows = append(rows, []string{tg, fmt.Sprint(c.Queued), fmt.Sprint(c.Starting), fmt.Sprint(c.Running),
			fmt.Sprint(c.Failed), fmt.Sprint(c.Complete), fmt.Sprint(c.Lost)})
	}
	writeTable(m.Stdout, []string{"Task Group", "Queued", "Starting", "Running", "Failed", "Complete", "Lost"}, rows)
}

// printPlacementFailure explains the newest failed placement while a
// blocked evaluation waits for capacity, or when it is the job's latest
// evaluation.
func (m *Meta) printPlacementFailure(evals []*api.Evaluation, verbose bool) {
	var latest, failed, blocked *api.Evaluation
	for _, e := range evals {
		if latest == nil || e.CreateIndex > latest.CreateIndex {
			latest = e
		}
		if e.Status == api.EvalStatusBlocked {
			blocked = e
		}
		if len(e.FailedTGAllocs) > 0 && (failed == nil || e.CreateIndex > failed.CreateIndex) {
			failed = e
		}
	}
	if failed == nil || (blocked == nil && failed != latest) {
		return
	}
	m.outf("\nPlacement Failure\n")
	for _, tg := range sortedKeys(failed.FailedTGAllocs) {
		m.outf("Task Group %q:\n", tg)
		writeAllocMetric(m.Stdout, failed.FailedTGAllocs[tg], "  ")
	}
	if blocked != nil {
		m.outf("Evaluation %q waiting for additional capacity to place remainder\n", shortID(blocked.ID, verbose))
	}
}

// writeAllocTable prints allocations, newest first.
func (m *Meta) writeAllocTable(w io.Writer, allocs []*api.AllocationListStub, verbose bool) {
	sorted := append([]*api.AllocationListStub(nil), allocs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].CreateIndex > sorted[j].CreateIndex })
	now := m.now()
	rows := make([][]string, 0, len(sorted))
	for _, a := range sorted {
		rows = append(rows, []string{
			shortID(a.ID, verbose), shortID(a.NodeID, verbose), a.TaskGroup, fmt.Sprint(a.JobVersion),
			a.DesiredStatus, a.ClientStatus, relativeTime(now, a.CreateTime), relativeTime(now, a.ModifyTime),
		})
	}
	writeTable(w, []string{"ID", "Node ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified"}, rows)
}
