package command

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// jobCommand is the "job" group: run, validate, status, inspect, stop and
// history.
func (m *Meta) jobCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "job",
		Short: "Interact with jobs",
	}
	cmd.AddCommand(
		m.jobRunCommand(),
		m.jobValidateCommand(),
		m.jobStatusCommand(),
		m.jobInspectCommand(),
		m.jobStopCommand(),
		m.jobHistoryCommand(),
		m.jobPlanCommand(),
		m.jobScaleCommand(),
		m.jobDispatchCommand(),
		m.jobPeriodicCommand(),
	)
	return cmd
}

// jobEnvelope is the {"Job": ...} form of job files and the API.
type jobEnvelope struct {
	Job *api.Job
}

func (m *Meta) jobRunCommand() *cobra.Command {
	var (
		ff                      jobFileFlags
		detach, output, verbose bool
		checkIndex              uint64
	)
	cmd := &cobra.Command{
		Use:   "run <file>",
		Short: "Submit a job file (or - for stdin) and follow its evaluation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := m.loadJob(args[0], &ff)
			if err != nil {
				return m.fail("parsing job file", err)
			}
			if output {
				return writeJSON(m.Stdout, &jobEnvelope{Job: job})
			}
			enforce := cmd.Flags().Changed("check-index")
			return m.runJob(job, enforce, checkIndex, detach, verbose)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&detach, "detach", false, "return right after submitting, without monitoring")
	f.BoolVar(&output, "output", false, "print the job as JSON instead of submitting it")
	f.BoolVar(&verbose, "verbose", false, "show full IDs")
	f.Uint64Var(&checkIndex, "check-index", 0, "register only if the job's modify index matches (0: must not exist)")
	addJobFileFlags(cmd, &ff)
	return cmd
}

func addJobFileFlags(cmd *cobra.Command, ff *jobFileFlags) {
	f := cmd.Flags()
	f.StringArrayVar(&ff.vars, "var", nil, "set a variable: name=value (repeatable)")
	f.StringArrayVar(&ff.varFiles, "var-file", nil, "read variables from a file (repeatable)")
	f.BoolVar(&ff.strict, "hcl2-strict", true, "fail on values for undeclared variables")
}

// runJob registers job and, unless detach, monitors its evaluation.
func (m *Meta) runJob(job *api.Job, enforce bool, index uint64, detach, verbose bool) error {
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	var resp *api.JobRegisterResponse
	if enforce {
		resp, _, err = c.Jobs().EnforceRegister(job, index, nil)
	} else {
		resp, _, err = c.Jobs().Register(job, nil)
	}
	if err != nil {
		return m.fail("submitting job", err)
	}
	if resp.Warnings != "" {
		m.outf("Job Warnings:\n%s\n\n", resp.Warnings)
	}
	switch {
	case resp.EvalID == "":
		m.outf("Job registration successful\n")
		return nil
	case detach:
		m.outf("Job registration successful\nEvaluation ID: %s\n", resp.EvalID)
		return nil
	}
	return exit(m.newMonitor(c, verbose).monitor(resp.EvalID))
}

func (m *Meta) jobValidateCommand() *cobra.Command {
	var ff jobFileFlags
	cmd := &cobra.Command{
		Use:   "validate <file>",
		Short: "Check a job file without submitting it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := m.loadJob(args[0], &ff)
			if err != nil {
				return m.fail("validating job", err)
			}
			return m.validateJob(job)
		},
	}
	addJobFileFlags(cmd, &ff)
	return cmd
}

// validateJob asks the agent to validate a parsed job. An agent that cannot
// be reached leaves only the local parse as the check, as Nomad does.
func (m *Meta) validateJob(job *api.Job) error {
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	resp, _, err := c.Jobs().Validate(job, nil)
	var ue *api.UnexpectedResponseError
	switch {
	case errors.As(err, &ue):
		return m.fail("validating job", err)
	case err != nil:
		fmt.Fprintf(m.Stderr, "Could not reach the agent at %s; checked the job file locally only\n", c.Address())
	case len(resp.ValidationErrors) > 0:
		fmt.Fprintf(m.Stderr, "Job validation errors:\n")
		for _, e := range resp.ValidationErrors {
			fmt.Fprintf(m.Stderr, "  * %s\n", e)
		}
		return exit(1)
	case resp.Warnings != "":
		m.outf("Job Warnings:\n%s\n\n", resp.Warnings)
	}
	m.outf("Job validation successful\n")
	return nil
}

func (m *Meta) jobInspectCommand() *cobra.Command {
	var version int64
	cmd := &cobra.Command{
		Use:   "inspect <job>",
		Short: "Print a job's specification as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("version") && version < 0 {
				return m.failf("Error inspecting job: -version %d is negative: use a version number from 'drover job history %s'", version, args[0])
			}
			c, id, err := m.clientAndJob(args[0], "inspecting job")
			if err != nil {
				return err
			}
			job, err := m.jobVersion(c, id, version)
			if err != nil {
				return m.fail("inspecting job", err)
			}
			return writeJSON(m.Stdout, &jobEnvelope{Job: job})
		},
	}
	cmd.Flags().Bool("json", true, "print JSON (always on)")
	cmd.Flags().Int64Var(&version, "version", -1, "show this version of the job")
	return cmd
}

// jobVersion reads the current job, or one of its versions when version
// is not negative.
func (m *Meta) jobVersion(c *api.Client, id string, version int64) (*api.Job, error) {
	if version < 0 {
		job, _, err := c.Jobs().Info(id, nil)
		return job, err
	}
	versions, _, err := c.Jobs().Versions(id, nil)
	if err != nil {
		return nil, err
	}
	for _, j := range versions {
		if int64(j.Version) == version {
			return j, nil
		}
	}
	return nil, fmt.Errorf("job %q has no version %d", id, version)
}

func (m *Meta) jobStopCommand() *cobra.Command {
	var purge, detach, yes, verbose bool
	cmd := &cobra.Command{
		Use:   "stop <job>",
		Short: "Stop a job and its allocations",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := m.clientAndJob(args[0], "stopping job")
			if err != nil {
				return err
			}
			if id != args[0] && !yes && !m.confirm(fmt.Sprintf("Are you sure you want to stop job %q? [y/N] ", id)) {
				m.outf("Cancelling job stop\n")
				return nil
			}
			evalID, _, err := c.Jobs().Deregister(id, purge, nil)
			if err != nil {
				return m.fail("deregistering job", err)
			}
			if detach || evalID == "" {
				m.outf("%s\n", evalID)
				return nil
			}
			return exit(m.newMonitor(c, verbose).monitor(evalID))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&purge, "purge", false, "delete the job and its history instead of only stopping it")
	f.BoolVar(&detach, "detach", false, "return right after stopping, without monitoring")
	f.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	f.BoolVar(&verbose, "verbose", false, "show full IDs")
	return cmd
}

// confirm asks a yes/no question on stdin.
func (m *Meta) confirm(question string) bool {
	m.outf("%s", question)
	line, _ := bufio.NewReader(m.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

func (m *Meta) jobHistoryCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history <job>",
		Short: "List a job's versions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := m.clientAndJob(args[0], "reading job history")
			if err != nil {
				return err
			}
			versions, _, err := c.Jobs().Versions(id, nil)
			if err != nil {
				return m.fail("reading job history", err)
			}
			if asJSON {
				return writeJSON(m.Stdout, versions)
			}
			m.printVersions(versions)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the versions as JSON")
	return cmd
}

func (m *Meta) printVersions(versions []*api.Job) {
	for i, j := range versions {
		if i > 0 {
			m.outf("\n")
		}
		writeKV(m.Stdout, []kv{
			{"Version", fmt.Sprint(j.Version)},
			{"Stable", fmt.Sprint(j.Stable)},
			{"Submit Date", formatUnixNano(j.SubmitTime)},
		})
	}
}
