package command

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/droverhq/drover/server/benchmark"
	"github.com/spf13/cobra"
)

// operatorSchedulerBenchmarkCommand runs the placement benchmark in this
// process: no agent is involved. It imports server/benchmark directly, the
// one command that does not go through api/, because it is a local tool.
func (m *Meta) operatorSchedulerBenchmarkCommand() *cobra.Command {
	var (
		cfg                benchmark.Config
		asJSON, verbose    bool
		cpuProfile, algStr string
	)
	cmd := &cobra.Command{
		Use:   "scheduler-benchmark",
		Short: "Measure placement throughput of the scheduler and plan applier in memory",
		Long: `Scheduler-benchmark builds an in-memory state store of -nodes nodes
(4,000 MHz / 8 GiB each, in datacenters dc1..dc3 and four node classes),
registers one service job of -count allocations (100 MHz / 128 MB each), and
places it through the real scheduler and the real plan applier logic,
committing into the state store directly (no Raft, no agent). It prints
{"nodes","count","placed","seconds","placements_per_sec"} as JSON.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if algStr != "" {
				cfg.Algorithm = algStr
			}
			if verbose {
				cfg.Logger = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			}
			cluster, err := benchmark.Build(cfg)
			if err != nil {
				return m.fail("building the benchmark cluster", err)
			}
			stop, err := m.startCPUProfile(cpuProfile)
			if err != nil {
				return m.fail("starting the CPU profile", err)
			}
			res, err := cluster.Place()
			stop()
			if err != nil {
				return m.fail("running the benchmark", err)
			}
			if verbose {
				fmt.Fprintf(m.Stderr, "plans: %d, evals: %d, scheduler: %s, plan apply + state store commit: %s\n",
					res.Plans, res.Evals, res.SchedulerTime, res.PlanApplyTime)
			}
			_ = asJSON // JSON is the only output; the flag is accepted as on every command
			return writeJSON(m.Stdout, res)
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Nodes, "nodes", 5000, "number of nodes")
	f.IntVar(&cfg.Count, "count", 50000, "number of allocations to place")
	f.BoolVar(&cfg.Spread, "spread", false, "add a spread over the datacenters to the job")
	f.StringVar(&algStr, "scheduler-algorithm", "", "binpack (default) or spread")
	f.BoolVar(&asJSON, "json", true, "print JSON (always on)")
	f.BoolVar(&verbose, "verbose", false, "print where the time went to stderr")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the placement to this file")
	return cmd
}

// startCPUProfile profiles the process into path; the returned func stops
// it. An empty path profiles nothing.
func (m *Meta) startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
