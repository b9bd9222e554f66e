package structs

import (
	"errors"
	"testing"
)

func TestSchedulerConfigurationDefaults(t *testing.T) {
	tests := []struct {
		name    string
		c       *SchedulerConfiguration
		jobType string
		want    bool
	}{
		{"nil: system on", nil, JobTypeSystem, true},
		{"nil: sysbatch off", nil, JobTypeSysBatch, false},
		{"nil: batch off", nil, JobTypeBatch, false},
		{"nil: service off", nil, JobTypeService, false},
		{"default: system on", DefaultSchedulerConfiguration(), JobTypeSystem, true},
		{"zero value: system off", &SchedulerConfiguration{}, JobTypeSystem, false},
		{"service enabled", &SchedulerConfiguration{PreemptionConfig: PreemptionConfig{ServiceSchedulerEnabled: true}}, JobTypeService, true},
		{"batch enabled", &SchedulerConfiguration{PreemptionConfig: PreemptionConfig{BatchSchedulerEnabled: true}}, JobTypeBatch, true},
		{"sysbatch enabled", &SchedulerConfiguration{PreemptionConfig: PreemptionConfig{SysBatchSchedulerEnabled: true}}, JobTypeSysBatch, true},
		{"unknown type", DefaultSchedulerConfiguration(), "bogus", false},
	}
	for _, tt := range tests {
		if got := tt.c.PreemptionEnabled(tt.jobType); got != tt.want {
			t.Errorf("%s: PreemptionEnabled(%s) = %v, want %v", tt.name, tt.jobType, got, tt.want)
		}
	}
	for _, tt := range []struct {
		c    *SchedulerConfiguration
		want string
	}{
		{nil, SchedulerAlgorithmBinpack},
		{&SchedulerConfiguration{}, SchedulerAlgorithmBinpack},
		{&SchedulerConfiguration{SchedulerAlgorithm: "spread"}, SchedulerAlgorithmSpread},
	} {
		if got := tt.c.EffectiveAlgorithm(); got != tt.want {
			t.Errorf("EffectiveAlgorithm(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
	d := DefaultSchedulerConfiguration()
	if d.SchedulerAlgorithm != SchedulerAlgorithmBinpack || d.MemoryOversubscriptionEnabled {
		t.Errorf("defaults = %+v, want binpack without oversubscription", d)
	}
}

func TestSchedulerConfigurationValidate(t *testing.T) {
	for _, alg := range []string{"", "binpack", "spread"} {
		if err := (&SchedulerConfiguration{SchedulerAlgorithm: alg}).Validate(); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", alg, err)
		}
	}
	if err := (&SchedulerConfiguration{SchedulerAlgorithm: "roundrobin"}).Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate(roundrobin) = %v, want ErrInvalid", err)
	}
}

func TestCanPreempt(t *testing.T) {
	for _, tt := range []struct {
		placing, victim int
		want            bool
	}{{50, 40, true}, {50, 41, false}, {50, 50, false}, {50, 90, false}, {100, 1, true}} {
		if got := CanPreempt(tt.placing, tt.victim); got != tt.want {
			t.Errorf("CanPreempt(%d, %d) = %v, want %v", tt.placing, tt.victim, got, tt.want)
		}
	}
}

func TestAppendPreemptedAlloc(t *testing.T) {
	p := &Plan{}
	a := &Allocation{ID: "a1", NodeID: "n1", DesiredStatus: AllocDesiredStatusRun}
	p.AppendPreemptedAlloc(a, "new")
	got := p.NodePreemptions["n1"]
	if len(got) != 1 || got[0].DesiredStatus != AllocDesiredStatusEvict || got[0].PreemptedByAllocation != "new" || got[0].DesiredDescription == "" {
		t.Fatalf("NodePreemptions = %+v, want one evicted copy preempted by new", got)
	}
	if a.DesiredStatus != AllocDesiredStatusRun {
		t.Errorf("the original allocation was modified")
	}
	if p.IsNoOp() {
		t.Errorf("a plan with a preemption is a no-op")
	}
}
