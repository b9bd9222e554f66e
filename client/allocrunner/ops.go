package allocrunner

import (
	"slices"

	"github.com/droverhq/drover/client/taskrunner"
)

// TaskRunner returns the runner of the named task, or nil.
func (ar *AllocRunner) TaskRunner(name string) *taskrunner.TaskRunner {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.runners[name]
}

// TaskNames lists the alloc's tasks, sorted.
func (ar *AllocRunner) TaskNames() []string {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	names := make([]string, 0, len(ar.runners))
	for n := range ar.runners {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Dir is the allocation's directory on the host.
func (ar *AllocRunner) Dir() string { return ar.dir.root }
