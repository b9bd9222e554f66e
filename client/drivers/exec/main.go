package exec

import (
	"os"

	"github.com/opencontainers/runc/libcontainer"

	"github.com/droverhq/drover/client/logmon"

	// nsenter's C constructor runs at every start of the binary and, when
	// libcontainer's init pipe variable is set, joins the container's
	// namespaces before the Go runtime starts.
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
	// Registers the cgroup v1 devices controller, without which device
	// rules in the container config are refused.
	_ "github.com/opencontainers/cgroups/devices"
)

// supervisorArg is os.Args[1] of a task supervisor process.
const supervisorArg = "__drover_task_supervisor"

// initPipeEnv is the variable libcontainer sets for the container init it
// re-executes (as `<binary> init`).
const initPipeEnv = "_LIBCONTAINER_INITPIPE"

// Main runs the branches of the binary that the client re-executes: the
// container init, the task supervisor, and the log collector of raw_exec
// tasks (logmon.RunCollector). main() calls it first:
//
//	if handled, code := exec.Main(os.Args); handled {
//		os.Exit(code)
//	}
//
// For any other invocation it returns handled == false at once.
func Main(args []string) (handled bool, exitCode int) {
	if len(args) > 1 && args[1] == "init" && os.Getenv(initPipeEnv) != "" {
		libcontainer.Init() // never returns
	}
	if len(args) > 1 && args[1] == logmon.CollectorArg {
		return true, logmon.RunCollector(args[2:])
	}
	if len(args) > 1 && args[1] == supervisorArg {
		if len(args) != 3 {
			os.Stderr.WriteString("usage: " + supervisorArg + " <spec.json>\n")
			return true, 2
		}
		return true, runSupervisor(args[2])
	}
	return false, 0
}
