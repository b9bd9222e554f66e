// Command drover is a cluster scheduler in the style of Nomad: one binary
// that is the agent (server and/or client) and the CLI.
package main

import (
	"os"

	"github.com/droverhq/drover/command"
)

func main() {
	// When the exec driver re-executes this binary as a container's init
	// (or a task's supervisor), that branch goes here, before the CLI.
	os.Exit(command.Run(os.Args[1:]))
}
