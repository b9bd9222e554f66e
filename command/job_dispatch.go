package command

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/structs"
	"github.com/spf13/cobra"
)

// jobDispatchCommand is `job dispatch`: launch a parameterized job.
func (m *Meta) jobDispatchCommand() *cobra.Command {
	var (
		metaPairs       []string
		token           string
		detach, verbose bool
	)
	cmd := &cobra.Command{
		Use:   "dispatch <job> [<payload file> | -]",
		Short: "Launch a parameterized job with meta and a payload",
		Long: `Dispatch creates a child of a parameterized job, <job>/dispatch-<time>-<id>,
with the given meta (-meta key=value, repeatable) and an optional payload
read from a file or from stdin (-), and follows its evaluation like
"job run". The job's parameterized block says which meta keys are required
or allowed and whether a payload is required, optional or forbidden.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			const doing = "dispatching job"
			meta := map[string]string{}
			for _, kv := range metaPairs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return m.failf("Error %s: -meta %q must be key=value", doing, kv)
				}
				meta[k] = v
			}
			var payload []byte
			if len(args) == 2 {
				var err error
				if payload, err = m.readPayload(args[1]); err != nil {
					return m.fail(doing, err)
				}
			}
			c, id, err := m.clientAndJob(args[0], doing)
			if err != nil {
				return err
			}
			resp, _, err := c.Jobs().Dispatch(id, meta, payload, token, nil)
			if err != nil {
				return m.fail(doing, err)
			}
			m.outf("Dispatched Job ID = %s\n", resp.DispatchedJobID)
			if resp.EvalID == "" {
				return nil
			}
			m.outf("Evaluation ID     = %s\n", shortID(resp.EvalID, verbose))
			if detach {
				return nil
			}
			m.outf("\n")
			return exit(m.newMonitor(c, verbose).monitor(resp.EvalID))
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&metaPairs, "meta", nil, "a meta key=value for the dispatched job (repeatable)")
	f.StringVar(&token, "idempotency-token", "", "return the job an earlier dispatch with this token created instead of a new one")
	f.BoolVar(&detach, "detach", false, "return right after dispatching, without monitoring")
	f.BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

// readPayload reads a dispatch payload from a file, or stdin for "-".
func (m *Meta) readPayload(path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = m.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read payload: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, structs.DispatchPayloadSizeLimit+1))
	if err != nil {
		return nil, fmt.Errorf("read payload: %w", err)
	}
	if len(b) > structs.DispatchPayloadSizeLimit {
		return nil, fmt.Errorf("the payload is larger than the %d-byte limit", structs.DispatchPayloadSizeLimit)
	}
	return b, nil
}

// jobPeriodicCommand is `job periodic`, holding `force`.
func (m *Meta) jobPeriodicCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "periodic", Short: "Interact with periodic jobs"}
	var detach, verbose bool
	force := &cobra.Command{
		Use:   "force <job>",
		Short: "Launch a periodic job now",
		Long: `Force launches a periodic job now, whatever its schedule and
prohibit_overlap say, as a child <job>/periodic-<time>, and follows its
evaluation like "job run".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			const doing = "forcing periodic job"
			c, id, err := m.clientAndJob(args[0], doing)
			if err != nil {
				return err
			}
			resp, _, err := c.Jobs().PeriodicForce(id, nil)
			if err != nil {
				return m.fail(doing, err)
			}
			m.outf("Force periodic successful\nChild Job ID  = %s\nEvaluation ID = %s\n", resp.ChildJobID, shortID(resp.EvalID, verbose))
			if detach || resp.EvalID == "" {
				return nil
			}
			m.outf("\n")
			return exit(m.newMonitor(c, verbose).monitor(resp.EvalID))
		},
	}
	force.Flags().BoolVar(&detach, "detach", false, "return right after launching, without monitoring")
	force.Flags().BoolVar(&verbose, "verbose", false, "show full IDs")
	cmd.AddCommand(force)
	return cmd
}

// launchDetails are the `job status` lines of a periodic parent: its next
// launch, computed here from its crons as Nomad's CLI does.
func launchDetails(j *api.Job, now time.Time) []kv {
	if j == nil || j.Periodic == nil || !j.Periodic.Enabled || j.Stop || j.ParameterizedJob != nil {
		return nil
	}
	p := &structs.PeriodicConfig{Enabled: true, Spec: j.Periodic.Spec, Specs: j.Periodic.Specs, TimeZone: j.Periodic.TimeZone}
	next, err := p.Next(now)
	switch {
	case err != nil:
		return []kv{{"Next Periodic Launch", "invalid schedule: " + err.Error()}}
	case next.IsZero():
		return []kv{{"Next Periodic Launch", "none"}}
	}
	return []kv{{"Next Periodic Launch", fmt.Sprintf("%s (%s from now)", next.Format("2006-01-02T15:04:05Z07:00"),
		next.Sub(now).Round(time.Second))}}
}

// fetchChildren lists the jobs a periodic or parameterized job launched.
func fetchChildren(c *api.Client, j *api.Job) ([]*api.JobListStub, error) {
	if j == nil || (j.Periodic == nil && j.ParameterizedJob == nil) {
		return nil, nil
	}
	jobs, _, err := c.Jobs().PrefixList(j.ID + "/")
	if err != nil {
		return nil, err
	}
	var out []*api.JobListStub
	for _, c := range jobs {
		if c.ParentID == j.ID {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].SubmitTime > out[b].SubmitTime })
	return out, nil
}

// printChildren prints a parent's launched jobs, newest first.
func (m *Meta) printChildren(j *api.Job, children []*api.JobListStub) {
	if j == nil || (j.Periodic == nil && j.ParameterizedJob == nil) {
		return
	}
	title := "Previously Launched Jobs"
	if j.ParameterizedJob != nil {
		title = "Dispatched Jobs"
	}
	m.outf("\n%s\n", title)
	if len(children) == 0 {
		m.outf("No instances of %s job %q found\n", map[bool]string{true: "parameterized", false: "periodic"}[j.ParameterizedJob != nil], j.ID)
		return
	}
	rows := make([][]string, 0, len(children))
	for _, c := range children {
		status := c.Status
		if c.Stop {
			status = "dead (stopped)"
		}
		rows = append(rows, []string{c.ID, status, formatUnixNano(c.SubmitTime)})
	}
	writeTable(m.Stdout, []string{"ID", "Status", "Submit Date"}, rows)
}
