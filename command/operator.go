package command

import (
	"fmt"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

// operatorCommand is the "operator" group: scheduler configuration and the
// scheduler benchmark (this file), and the cluster commands of
// operator_raft.go.
func (m *Meta) operatorCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "operator",
		Short: "Cluster operations: Raft, autopilot, snapshots, scheduler configuration and benchmark",
	}
	sched := &cobra.Command{
		Use:   "scheduler",
		Short: "Read and change the scheduler configuration",
	}
	sched.AddCommand(m.operatorSchedulerGetCommand(), m.operatorSchedulerSetCommand())
	cmd.AddCommand(sched, m.operatorSchedulerBenchmarkCommand())
	cmd.AddCommand(m.operatorClusterCommands()...)
	return cmd
}

func (m *Meta) operatorSchedulerGetCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get-config",
		Short: "Show the scheduler configuration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			const doing = "querying scheduler configuration"
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			resp, _, err := c.Operator().SchedulerGetConfiguration(nil)
			if err != nil {
				return m.fail(doing, err)
			}
			if asJSON {
				return writeJSON(m.Stdout, resp.SchedulerConfig)
			}
			m.printSchedulerConfig(resp.SchedulerConfig)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the configuration as JSON")
	return cmd
}

func (m *Meta) printSchedulerConfig(c *api.SchedulerConfiguration) {
	p := c.PreemptionConfig
	writeKV(m.Stdout, []kv{
		{"Scheduler Algorithm", c.SchedulerAlgorithm},
		{"Memory Oversubscription", fmt.Sprint(c.MemoryOversubscriptionEnabled)},
		{"Preemption System Scheduler", fmt.Sprint(p.SystemSchedulerEnabled)},
		{"Preemption Service Scheduler", fmt.Sprint(p.ServiceSchedulerEnabled)},
		{"Preemption Batch Scheduler", fmt.Sprint(p.BatchSchedulerEnabled)},
		{"Preemption SysBatch Scheduler", fmt.Sprint(p.SysBatchSchedulerEnabled)},
		{"Modify Index", fmt.Sprint(c.ModifyIndex)},
	})
}

func (m *Meta) operatorSchedulerSetCommand() *cobra.Command {
	var (
		algorithm                      string
		memOversub                     bool
		preemptSystem, preemptSysBatch bool
		preemptBatch, preemptService   bool
		checkIndex                     uint64
	)
	cmd := &cobra.Command{
		Use:   "set-config",
		Short: "Change the scheduler configuration",
		Long: `Set-config changes the flags given and keeps the others as they are.
With -check-index the change applies only if the configuration's modify
index is still the one given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			const doing = "updating scheduler configuration"
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			cur, _, err := c.Operator().SchedulerGetConfiguration(nil)
			if err != nil {
				return m.fail("querying scheduler configuration", err)
			}
			conf := *cur.SchedulerConfig
			f := cmd.Flags()
			if f.Changed("scheduler-algorithm") {
				if algorithm != api.SchedulerAlgorithmBinpack && algorithm != api.SchedulerAlgorithmSpread {
					return m.failf("Error %s: -scheduler-algorithm=%q: use %q or %q", doing, algorithm,
						api.SchedulerAlgorithmBinpack, api.SchedulerAlgorithmSpread)
				}
				conf.SchedulerAlgorithm = algorithm
			}
			setIfChanged := func(name string, dst *bool, v bool) {
				if f.Changed(name) {
					*dst = v
				}
			}
			setIfChanged("memory-oversubscription", &conf.MemoryOversubscriptionEnabled, memOversub)
			setIfChanged("preempt-system-scheduler", &conf.PreemptionConfig.SystemSchedulerEnabled, preemptSystem)
			setIfChanged("preempt-sysbatch-scheduler", &conf.PreemptionConfig.SysBatchSchedulerEnabled, preemptSysBatch)
			setIfChanged("preempt-batch-scheduler", &conf.PreemptionConfig.BatchSchedulerEnabled, preemptBatch)
			setIfChanged("preempt-service-scheduler", &conf.PreemptionConfig.ServiceSchedulerEnabled, preemptService)

			var resp *api.SchedulerSetConfigurationResponse
			if f.Changed("check-index") {
				conf.ModifyIndex = checkIndex
				resp, _, err = c.Operator().SchedulerCASConfiguration(&conf, nil)
			} else {
				resp, _, err = c.Operator().SchedulerSetConfiguration(&conf, nil)
			}
			if err != nil {
				return m.fail(doing, err)
			}
			if !resp.Updated {
				return m.failf("Scheduler configuration not updated: its modify index is no longer %d; read it again with get-config", checkIndex)
			}
			m.outf("Scheduler configuration updated!\n")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&algorithm, "scheduler-algorithm", "", "how nodes are ranked: binpack or spread")
	f.BoolVar(&memOversub, "memory-oversubscription", false, "let tasks use memory_max")
	f.BoolVar(&preemptSystem, "preempt-system-scheduler", false, "let system jobs preempt lower-priority allocations")
	f.BoolVar(&preemptSysBatch, "preempt-sysbatch-scheduler", false, "let sysbatch jobs preempt lower-priority allocations")
	f.BoolVar(&preemptBatch, "preempt-batch-scheduler", false, "let batch jobs preempt lower-priority allocations")
	f.BoolVar(&preemptService, "preempt-service-scheduler", false, "let service jobs preempt lower-priority allocations")
	f.Uint64Var(&checkIndex, "check-index", 0, "change only if the configuration's modify index is this")
	return cmd
}
