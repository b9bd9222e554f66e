package structs

import (
	"maps"
	"slices"
)

// Deep copies. Every Copy returns nil for a nil receiver, and a copy that
// shares no mutable memory with the original (maps, slices, pointers), except
// where a method's comment says otherwise.

// copyEach deep-copies a slice of pointers with f, keeping nil as nil.
func copyEach[T any](in []*T, f func(*T) *T) []*T {
	if in == nil {
		return nil
	}
	out := make([]*T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// copyValues deep-copies a map of pointers with f, keeping nil as nil.
func copyValues[K comparable, V any](in map[K]*V, f func(*V) *V) map[K]*V {
	if in == nil {
		return nil
	}
	out := make(map[K]*V, len(in))
	for k, v := range in {
		out[k] = f(v)
	}
	return out
}

// copyPlain shallow-copies a struct that holds no maps, slices or pointers.
func copyPlain[T any](in *T) *T {
	if in == nil {
		return nil
	}
	c := *in
	return &c
}

// copyConfigValue deep-copies a decoded driver config value: nested maps
// and slices are copied, scalars are shared (they are immutable).
func copyConfigValue(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		return copyConfig(x)
	case []interface{}:
		if x == nil {
			return x
		}
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = copyConfigValue(e)
		}
		return out
	case []map[string]interface{}:
		if x == nil {
			return x
		}
		out := make([]map[string]interface{}, len(x))
		for i, e := range x {
			out[i] = copyConfig(e)
		}
		return out
	case []string:
		return slices.Clone(x)
	}
	return v
}

// copyConfig deep-copies a task's driver config.
func copyConfig(in map[string]interface{}) map[string]interface{} {
	if in == nil {
		return nil
	}
	out := make(map[string]interface{}, len(in))
	for k, v := range in {
		out[k] = copyConfigValue(v)
	}
	return out
}

// Copy returns a deep copy of the job.
func (j *Job) Copy() *Job {
	if j == nil {
		return nil
	}
	c := *j
	c.Datacenters = slices.Clone(j.Datacenters)
	c.Constraints = copyEach(j.Constraints, copyPlain[Constraint])
	c.Affinities = copyEach(j.Affinities, copyPlain[Affinity])
	c.Spreads = copyEach(j.Spreads, copySpread)
	c.TaskGroups = copyEach(j.TaskGroups, (*TaskGroup).Copy)
	c.Update = copyPlain(j.Update)
	c.Periodic = copyPeriodic(j.Periodic)
	c.ParameterizedJob = copyParameterized(j.ParameterizedJob)
	c.Reschedule = copyPlain(j.Reschedule)
	c.Migrate = copyPlain(j.Migrate)
	c.Meta = maps.Clone(j.Meta)
	c.Payload = slices.Clone(j.Payload)
	return &c
}

func copySpread(s *Spread) *Spread {
	if s == nil {
		return nil
	}
	c := *s
	c.SpreadTarget = copyEach(s.SpreadTarget, copyPlain[SpreadTarget])
	return &c
}

func copyPeriodic(p *PeriodicConfig) *PeriodicConfig {
	if p == nil {
		return nil
	}
	c := *p
	c.Specs = slices.Clone(p.Specs)
	return &c
}

func copyParameterized(p *ParameterizedJobConfig) *ParameterizedJobConfig {
	if p == nil {
		return nil
	}
	c := *p
	c.MetaRequired = slices.Clone(p.MetaRequired)
	c.MetaOptional = slices.Clone(p.MetaOptional)
	return &c
}

// Copy returns a deep copy of the task group.
func (tg *TaskGroup) Copy() *TaskGroup {
	if tg == nil {
		return nil
	}
	c := *tg
	c.Constraints = copyEach(tg.Constraints, copyPlain[Constraint])
	c.Affinities = copyEach(tg.Affinities, copyPlain[Affinity])
	c.Spreads = copyEach(tg.Spreads, copySpread)
	c.Tasks = copyEach(tg.Tasks, (*Task).Copy)
	c.RestartPolicy = copyPlain(tg.RestartPolicy)
	c.ReschedulePolicy = copyPlain(tg.ReschedulePolicy)
	c.EphemeralDisk = copyPlain(tg.EphemeralDisk)
	c.Update = copyPlain(tg.Update)
	c.Migrate = copyPlain(tg.Migrate)
	c.Networks = copyEach(tg.Networks, copyNetworkResource)
	c.Services = copyEach(tg.Services, copyService)
	c.Volumes = copyValues(tg.Volumes, copyPlain[VolumeRequest])
	c.Meta = maps.Clone(tg.Meta)
	c.ShutdownDelay = copyPlain(tg.ShutdownDelay)
	return &c
}

// Copy returns a deep copy of the task.
func (t *Task) Copy() *Task {
	if t == nil {
		return nil
	}
	c := *t
	c.Config = copyConfig(t.Config)
	c.Env = maps.Clone(t.Env)
	c.Services = copyEach(t.Services, copyService)
	c.Constraints = copyEach(t.Constraints, copyPlain[Constraint])
	c.Affinities = copyEach(t.Affinities, copyPlain[Affinity])
	c.Resources = copyResources(t.Resources)
	c.RestartPolicy = copyPlain(t.RestartPolicy)
	c.Meta = maps.Clone(t.Meta)
	c.LogConfig = copyPlain(t.LogConfig)
	c.Templates = copyEach(t.Templates, copyPlain[Template])
	c.VolumeMounts = copyEach(t.VolumeMounts, copyPlain[VolumeMount])
	c.Lifecycle = copyPlain(t.Lifecycle)
	return &c
}

func copyResources(r *Resources) *Resources {
	if r == nil {
		return nil
	}
	c := *r
	c.Networks = copyEach(r.Networks, copyNetworkResource)
	return &c
}

func copyNetworkResource(n *NetworkResource) *NetworkResource {
	if n == nil {
		return nil
	}
	c := *n
	c.ReservedPorts = slices.Clone(n.ReservedPorts)
	c.DynamicPorts = slices.Clone(n.DynamicPorts)
	return &c
}

func copyService(s *Service) *Service {
	if s == nil {
		return nil
	}
	c := *s
	c.Tags = slices.Clone(s.Tags)
	c.Checks = copyEach(s.Checks, copyServiceCheck)
	c.Meta = maps.Clone(s.Meta)
	return &c
}

func copyServiceCheck(sc *ServiceCheck) *ServiceCheck {
	if sc == nil {
		return nil
	}
	c := *sc
	c.Args = slices.Clone(sc.Args)
	return &c
}

// Copy returns a copy of the allocation that shares its Job pointer with the
// original (jobs are immutable once stored) and deep-copies everything else.
func (a *Allocation) Copy() *Allocation {
	return a.CopySkipJob()
}

// CopySkipJob is Copy under Nomad's name: everything is deep-copied except
// Job, which still points at the same job as the original.
func (a *Allocation) CopySkipJob() *Allocation {
	if a == nil {
		return nil
	}
	c := *a
	c.AllocatedResources = copyAllocatedResources(a.AllocatedResources)
	c.Metrics = copyAllocMetric(a.Metrics)
	c.TaskStates = copyValues(a.TaskStates, copyTaskState)
	c.RescheduleTracker = copyRescheduleTracker(a.RescheduleTracker)
	c.PreemptedAllocations = slices.Clone(a.PreemptedAllocations)
	return &c
}

func copyAllocatedResources(r *AllocatedResources) *AllocatedResources {
	if r == nil {
		return nil
	}
	c := *r
	c.Tasks = copyValues(r.Tasks, copyAllocatedTaskResources)
	c.Shared.Networks = copyEach(r.Shared.Networks, copyNetworkResource)
	c.Shared.Ports = slices.Clone(r.Shared.Ports)
	return &c
}

func copyAllocatedTaskResources(r *AllocatedTaskResources) *AllocatedTaskResources {
	if r == nil {
		return nil
	}
	c := *r
	c.Networks = copyEach(r.Networks, copyNetworkResource)
	return &c
}

func copyAllocMetric(m *AllocMetric) *AllocMetric {
	if m == nil {
		return nil
	}
	c := *m
	c.NodesAvailable = maps.Clone(m.NodesAvailable)
	c.ClassFiltered = maps.Clone(m.ClassFiltered)
	c.ConstraintFiltered = maps.Clone(m.ConstraintFiltered)
	c.ClassExhausted = maps.Clone(m.ClassExhausted)
	c.DimensionExhausted = maps.Clone(m.DimensionExhausted)
	c.QuotaExhausted = slices.Clone(m.QuotaExhausted)
	c.ScoreMetaData = copyEach(m.ScoreMetaData, copyNodeScoreMeta)
	return &c
}

func copyNodeScoreMeta(s *NodeScoreMeta) *NodeScoreMeta {
	if s == nil {
		return nil
	}
	c := *s
	c.Scores = maps.Clone(s.Scores)
	return &c
}

func copyTaskState(s *TaskState) *TaskState {
	if s == nil {
		return nil
	}
	c := *s
	c.Events = copyEach(s.Events, copyTaskEvent)
	return &c
}

func copyTaskEvent(e *TaskEvent) *TaskEvent {
	if e == nil {
		return nil
	}
	c := *e
	c.Details = maps.Clone(e.Details)
	return &c
}

func copyRescheduleTracker(t *RescheduleTracker) *RescheduleTracker {
	if t == nil {
		return nil
	}
	return &RescheduleTracker{Events: copyEach(t.Events, copyPlain[RescheduleEvent])}
}

// Copy returns a deep copy of the node.
func (n *Node) Copy() *Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Attributes = maps.Clone(n.Attributes)
	c.Meta = maps.Clone(n.Meta)
	c.Drivers = copyValues(n.Drivers, copyDriverInfo)
	c.HostVolumes = copyValues(n.HostVolumes, copyPlain[ClientHostVolumeConfig])
	c.NodeResources = copyNodeResources(n.NodeResources)
	c.ReservedResources = copyPlain(n.ReservedResources)
	c.DrainStrategy = copyPlain(n.DrainStrategy)
	return &c
}

func copyDriverInfo(d *DriverInfo) *DriverInfo {
	if d == nil {
		return nil
	}
	c := *d
	c.Attributes = maps.Clone(d.Attributes)
	return &c
}

func copyNodeResources(r *NodeResources) *NodeResources {
	if r == nil {
		return nil
	}
	c := *r
	c.Networks = copyEach(r.Networks, copyNetworkResource)
	return &c
}

// Copy returns a deep copy of the evaluation.
func (e *Evaluation) Copy() *Evaluation {
	if e == nil {
		return nil
	}
	c := *e
	c.FailedTGAllocs = copyValues(e.FailedTGAllocs, copyAllocMetric)
	c.ClassEligibility = maps.Clone(e.ClassEligibility)
	c.QueuedAllocations = maps.Clone(e.QueuedAllocations)
	return &c
}
