package command

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

func (m *Meta) jobScaleCommand() *cobra.Command {
	var detach, verbose bool
	cmd := &cobra.Command{
		Use:   "scale <job> [<group>] <count>",
		Short: "Change a task group's count",
		Long: `Scale sets the count of one task group of a running job, as a new job
version, and follows the evaluation like "job run". The group may be left
out when the job has only one.`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			const doing = "scaling job"
			countArg := args[len(args)-1]
			count, err := strconv.ParseInt(countArg, 10, 64)
			if err != nil || count < 0 {
				return m.failf("Error %s: count %q is not a whole number of zero or more", doing, countArg)
			}
			c, id, err := m.clientAndJob(args[0], doing)
			if err != nil {
				return err
			}
			group := ""
			if len(args) == 3 {
				group = args[1]
			} else if group, err = onlyGroup(c, id); err != nil {
				return m.fail(doing, err)
			}
			resp, _, err := c.Jobs().Scale(id, group, count, "submitted using the drover CLI", nil)
			if err != nil {
				return m.fail(doing, err)
			}
			if resp.Warnings != "" {
				m.outf("Job Warnings:\n%s\n\n", resp.Warnings)
			}
			if detach || resp.EvalID == "" {
				m.outf("Job scale successful\n")
				if resp.EvalID != "" {
					m.outf("Evaluation ID: %s\n", resp.EvalID)
				}
				return nil
			}
			return exit(m.newMonitor(c, verbose).monitor(resp.EvalID))
		},
	}
	cmd.Flags().BoolVar(&detach, "detach", false, "return right after scaling, without monitoring")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

// onlyGroup returns the job's one task group, or an error naming them all
// when there are several.
func onlyGroup(c *api.Client, jobID string) (string, error) {
	job, _, err := c.Jobs().Info(jobID, nil)
	if err != nil {
		return "", err
	}
	var names []string
	for _, tg := range job.TaskGroups {
		names = append(names, tg.Name)
	}
	if len(names) == 1 {
		return names[0], nil
	}
	sort.Strings(names)
	return "", fmt.Errorf("job %q has %d task groups (%v): name the one to scale: drover job scale %s <group> <count>",
		jobID, len(names), names, jobID)
}
