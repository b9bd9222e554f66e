package structs

import "fmt"

// Scheduler algorithms: how the scheduler ranks the nodes that fit.
const (
	// SchedulerAlgorithmBinpack prefers the fullest node, leaving whole
	// nodes free for large asks (the default).
	SchedulerAlgorithmBinpack = "binpack"
	// SchedulerAlgorithmSpread prefers the emptiest node, spreading load.
	SchedulerAlgorithmSpread = "spread"
)

// SchedulerConfiguration is the cluster-wide scheduler configuration an
// operator sets at run time (`operator scheduler set-config`). It is stored
// in the replicated state; a nil configuration means the defaults of
// DefaultSchedulerConfiguration.
type SchedulerConfiguration struct {
	// SchedulerAlgorithm is "binpack" (default when empty) or "spread".
	SchedulerAlgorithm string
	// PreemptionConfig says for which job types a placement that does not
	// fit may evict lower-priority allocations.
	PreemptionConfig PreemptionConfig
	// MemoryOversubscriptionEnabled lets tasks' memory_max take effect.
	// When false the scheduler grants no MemoryMaxMB, so a task's memory
	// limit is its memory reservation, as in Nomad.
	MemoryOversubscriptionEnabled bool

	CreateIndex uint64
	ModifyIndex uint64
}

// PreemptionConfig enables preemption per scheduler type.
type PreemptionConfig struct {
	SystemSchedulerEnabled   bool
	SysBatchSchedulerEnabled bool
	BatchSchedulerEnabled    bool
	ServiceSchedulerEnabled  bool
}

// DefaultSchedulerConfiguration is what the scheduler uses when no
// configuration was ever set: bin-packing, preemption for system jobs only,
// no memory oversubscription (Nomad's defaults).
func DefaultSchedulerConfiguration() *SchedulerConfiguration {
	return &SchedulerConfiguration{
		SchedulerAlgorithm: SchedulerAlgorithmBinpack,
		PreemptionConfig:   PreemptionConfig{SystemSchedulerEnabled: true},
	}
}

// EffectiveAlgorithm returns the algorithm to rank with: "spread" when set
// so, else "binpack". A nil configuration means the defaults.
func (c *SchedulerConfiguration) EffectiveAlgorithm() string {
	if c != nil && c.SchedulerAlgorithm == SchedulerAlgorithmSpread {
		return SchedulerAlgorithmSpread
	}
	return SchedulerAlgorithmBinpack
}

// PreemptionEnabled reports whether placements of a job of the given type
// may preempt. A nil configuration means the defaults.
func (c *SchedulerConfiguration) PreemptionEnabled(jobType string) bool {
	if c == nil {
		c = DefaultSchedulerConfiguration()
	}
	p := c.PreemptionConfig
	switch jobType {
	case JobTypeSystem:
		return p.SystemSchedulerEnabled
	case JobTypeSysBatch:
		return p.SysBatchSchedulerEnabled
	case JobTypeBatch:
		return p.BatchSchedulerEnabled
	case JobTypeService:
		return p.ServiceSchedulerEnabled
	}
	return false
}

// Validate checks the configuration an operator submits.
func (c *SchedulerConfiguration) Validate() error {
	switch c.SchedulerAlgorithm {
	case "", SchedulerAlgorithmBinpack, SchedulerAlgorithmSpread:
		return nil
	}
	return fmt.Errorf("SchedulerAlgorithm: %q is not a scheduler algorithm (want %q or %q): %w",
		c.SchedulerAlgorithm, SchedulerAlgorithmBinpack, SchedulerAlgorithmSpread, ErrInvalid)
}

// Copy returns a copy of the configuration (nil for nil).
func (c *SchedulerConfiguration) Copy() *SchedulerConfiguration {
	if c == nil {
		return nil
	}
	cp := *c
	return &cp
}
