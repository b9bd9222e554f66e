// Command drover is a cluster scheduler in the style of Nomad: one binary
// that is the agent (server and/or client) and the CLI.
package main

import (
	"os"

	execdriver "github.com/droverhq/drover/client/drivers/exec"
	"github.com/droverhq/drover/command"
)

func main() {
	// When the exec driver re-executes this binary as a container's init,
	// a task's supervisor or a task's log collector, that branch runs here,
	// before the CLI.
	if handled, code := execdriver.Main(os.Args); handled {
		os.Exit(code)
	}
	os.Exit(command.Run(os.Args[1:]))
}
