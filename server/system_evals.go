package server

import (
	"reflect"

	"github.com/droverhq/drover/structs"
)

// isSystemType reports whether jobs of this type run on every eligible
// node, so that they must be evaluated whenever a node appears or changes.
func isSystemType(jobType string) bool {
	return jobType == structs.JobTypeSystem || jobType == structs.JobTypeSysBatch
}

// systemJobs returns every system and sysbatch job that wants to run (not
// stopped, not a periodic or parameterized template), in every namespace.
func (s *Server) systemJobs() ([]*structs.Job, error) {
	jobs, err := s.state.JobsList(nil, allNamespaces)
	if err != nil {
		return nil, err
	}
	var out []*structs.Job
	for _, j := range jobs {
		if isSystemType(j.Type) && !j.Stop && !isLaunchedLater(j) {
			out = append(out, j)
		}
	}
	return out, nil
}

// nodeChanged reports whether a re-registering node changed in a way that
// can change where allocations may run: status, eligibility, drain,
// drivers, attributes, meta, class, pool, datacenter or capacity. Every
// such change is evaluated for the node's jobs and every system job.
func nodeChanged(old, new *structs.Node) bool {
	if old == nil {
		return true
	}
	return old.Status != new.Status || old.SchedulingEligibility != new.SchedulingEligibility ||
		old.Drain != new.Drain || old.ComputedClass != new.ComputedClass ||
		!reflect.DeepEqual(old.NodeResources, new.NodeResources) ||
		!reflect.DeepEqual(old.ReservedResources, new.ReservedResources)
}
