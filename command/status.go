package command

import (
	"fmt"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// statusCommand is Nomad's generic "status": no argument lists jobs; an ID
// prefix is looked up among jobs, then evaluations, allocations and nodes.
func (m *Meta) statusCommand() *cobra.Command {
	var asJSON, verbose bool
	cmd := &cobra.Command{
		Use:   "status [id]",
		Short: "List jobs, or show the job, evaluation, allocation or node an ID prefix names",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return m.listJobs(asJSON)
			}
			return m.anyStatus(args[0], asJSON, verbose)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API objects as JSON")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

func (m *Meta) anyStatus(prefix string, asJSON, verbose bool) error {
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	kind, err := findKind(c, prefix)
	if err != nil {
		return m.fail("getting status", err)
	}
	switch kind {
	case "job":
		return m.jobStatus(prefix, asJSON, verbose)
	case "evaluation":
		return m.evalStatus(prefix, asJSON, verbose)
	case "allocation":
		return m.allocStatus(prefix, asJSON, verbose, false)
	case "node":
		return m.nodeStatus(prefix, asJSON, verbose)
	}
	return m.fail("getting status", fmt.Errorf("no job, evaluation, allocation or node matches %q", prefix))
}

// findKind returns the first kind of object with an ID matching prefix,
// or "" if none does.
func findKind(c *api.Client, prefix string) (string, error) {
	jobs, _, err := c.Jobs().PrefixList(prefix)
	if err != nil {
		return "", err
	}
	if len(prefixMatches(prefix, jobs, func(j *api.JobListStub) string { return j.ID })) > 0 {
		return "job", nil
	}
	evals, _, err := c.Evaluations().PrefixList(prefix)
	if err != nil {
		return "", err
	}
	if len(prefixMatches(prefix, evals, func(e *api.Evaluation) string { return e.ID })) > 0 {
		return "evaluation", nil
	}
	allocs, _, err := c.Allocations().PrefixList(prefix)
	if err != nil {
		return "", err
	}
	if len(prefixMatches(prefix, allocs, func(a *api.AllocationListStub) string { return a.ID })) > 0 {
		return "allocation", nil
	}
	nodes, _, err := c.Nodes().PrefixList(prefix)
	if err != nil {
		return "", err
	}
	if len(prefixMatches(prefix, nodes, func(n *api.NodeListStub) string { return n.ID })) > 0 {
		return "node", nil
	}
	return "", nil
}
