package command

import (
	"fmt"
	"io"
	"strings"

	"github.com/droverhq/drover/api"
)

// prefixMatches filters items to those whose ID starts with prefix; an
// exact match wins alone. Servers filter by prefix too, but one that
// ignores the parameter still gives the right answer here.
func prefixMatches[T any](prefix string, items []T, idOf func(T) string) []T {
	var out []T
	for _, it := range items {
		id := idOf(it)
		if id == prefix {
			return []T{it}
		}
		if strings.HasPrefix(id, prefix) {
			out = append(out, it)
		}
	}
	return out
}

// pickOne resolves prefix among items: the one match's ID, or an error
// printed to stderr (not found, or the list of ambiguous matches).
func pickOne[T any](m *Meta, kind, prefix, doing string, items []T, idOf func(T) string, list func(io.Writer, []T)) (string, error) {
	matches := prefixMatches(prefix, items, idOf)
	switch len(matches) {
	case 0:
		return "", m.fail(doing, fmt.Errorf("%s %q not found", kind, prefix))
	case 1:
		return idOf(matches[0]), nil
	}
	fmt.Fprintf(m.Stderr, "Prefix matched multiple %ss\n\n", kind)
	list(m.Stderr, matches)
	return "", exit(1)
}

// clientAndJob makes a client and resolves a job ID prefix, printing the
// error (as "Error <doing>: ...") or the ambiguous matches itself.
func (m *Meta) clientAndJob(prefix, doing string) (*api.Client, string, error) {
	c, err := m.client()
	if err != nil {
		return nil, "", m.fail("creating API client", err)
	}
	id, err := m.resolveJob(c, prefix, doing)
	return c, id, err
}

// resolveJob turns a job ID prefix into one job ID.
func (m *Meta) resolveJob(c *api.Client, prefix, doing string) (string, error) {
	jobs, _, err := c.Jobs().PrefixList(prefix)
	if err != nil {
		return "", m.fail(doing, err)
	}
	return pickOne(m, "job", prefix, doing, jobs,
		func(j *api.JobListStub) string { return j.ID }, m.writeJobList)
}

// resolveEval turns an evaluation ID prefix into one evaluation ID.
func (m *Meta) resolveEval(c *api.Client, prefix, doing string, verbose bool) (string, error) {
	evals, _, err := c.Evaluations().PrefixList(prefix)
	if err != nil {
		return "", m.fail(doing, err)
	}
	return pickOne(m, "evaluation", prefix, doing, evals,
		func(e *api.Evaluation) string { return e.ID },
		func(w io.Writer, l []*api.Evaluation) { m.writeEvalList(w, l, verbose) })
}

// resolveAlloc turns an allocation ID prefix into one allocation ID.
func (m *Meta) resolveAlloc(c *api.Client, prefix, doing string, verbose bool) (string, error) {
	allocs, _, err := c.Allocations().PrefixList(prefix)
	if err != nil {
		return "", m.fail(doing, err)
	}
	return pickOne(m, "allocation", prefix, doing, allocs,
		func(a *api.AllocationListStub) string { return a.ID },
		func(w io.Writer, l []*api.AllocationListStub) { m.writeAllocTable(w, l, verbose) })
}

// resolveNode turns a node ID prefix into one node ID.
func (m *Meta) resolveNode(c *api.Client, prefix, doing string, verbose bool) (string, error) {
	nodes, _, err := c.Nodes().PrefixList(prefix)
	if err != nil {
		return "", m.fail(doing, err)
	}
	return pickOne(m, "node", prefix, doing, nodes,
		func(n *api.NodeListStub) string { return n.ID },
		func(w io.Writer, l []*api.NodeListStub) { m.writeNodeList(w, l, verbose) })
}
