package server

import (
	"bytes"
	"context"
	"testing"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

func TestSchedulerConfigThroughRaft(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	ctx := context.Background()
	if _, cfg, _ := s.State().SchedulerConfig(nil); cfg != nil {
		t.Fatalf("got %+v before any set, want nil (defaults)", cfg)
	}
	if got := s.State().Snapshot().SchedulerState().(interface {
		SchedulerConfig() *structs.SchedulerConfiguration
	}).SchedulerConfig(); got != nil {
		t.Fatalf("scheduler view: got %+v, want nil", got)
	}

	set := &structs.SchedulerSetConfigRequest{Config: structs.SchedulerConfiguration{
		SchedulerAlgorithm: structs.SchedulerAlgorithmSpread,
		PreemptionConfig:   structs.PreemptionConfig{ServiceSchedulerEnabled: true},
	}}
	resp, err := s.SchedulerSetConfig(ctx, set)
	if err != nil || !resp.Updated {
		t.Fatalf("set: got %+v, %v; want updated", resp, err)
	}
	index, cfg, _ := s.State().SchedulerConfig(nil)
	if index != resp.Index || cfg.SchedulerAlgorithm != structs.SchedulerAlgorithmSpread || !cfg.PreemptionConfig.ServiceSchedulerEnabled {
		t.Fatalf("stored: got index %d %+v, want index %d spread with service preemption", index, cfg, resp.Index)
	}
	view := s.State().Snapshot().SchedulerState().(interface {
		SchedulerConfig() *structs.SchedulerConfiguration
	})
	if got := view.SchedulerConfig(); got == nil || got.EffectiveAlgorithm() != structs.SchedulerAlgorithmSpread {
		t.Fatalf("scheduler view: got %+v, want spread", got)
	}

	tests := []struct {
		name        string
		cas         uint64
		wantUpdated bool
	}{
		{"stale cas index", index - 1, false},
		{"current cas index", index, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &structs.SchedulerSetConfigRequest{CAS: true, Config: structs.SchedulerConfiguration{
				SchedulerAlgorithm: structs.SchedulerAlgorithmBinpack, ModifyIndex: tt.cas}}
			resp, err := s.SchedulerSetConfig(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Updated != tt.wantUpdated {
				t.Fatalf("Updated: got %v, want %v", resp.Updated, tt.wantUpdated)
			}
		})
	}

	if _, err := s.SchedulerSetConfig(ctx, &structs.SchedulerSetConfigRequest{
		Config: structs.SchedulerConfiguration{SchedulerAlgorithm: "roundrobin"}}); err == nil {
		t.Fatal("set roundrobin: got no error, want invalid algorithm")
	}
}

func TestSchedulerConfigPersistRestore(t *testing.T) {
	st, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SchedulerSetConfig(5, &structs.SchedulerConfiguration{SchedulerAlgorithm: structs.SchedulerAlgorithmSpread,
		MemoryOversubscriptionEnabled: true}, false, 0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := st.Snapshot().Persist(&buf); err != nil {
		t.Fatal(err)
	}
	restored, _ := state.NewStateStore()
	if err := restored.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	index, cfg, err := restored.SchedulerConfig(nil)
	if err != nil || cfg == nil || index != 5 || cfg.SchedulerAlgorithm != structs.SchedulerAlgorithmSpread || !cfg.MemoryOversubscriptionEnabled {
		t.Fatalf("restored: got index %d %+v %v, want index 5, spread, oversubscription", index, cfg, err)
	}
}
