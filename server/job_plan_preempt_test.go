package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// A dry run of a high-priority job that only fits by evicting a
// lower-priority one lists the allocations it would preempt, and the real
// run records the eviction on both allocations.
func TestJobPlanListsPreemptedAllocs(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	ctx := context.Background()
	if _, err := s.SchedulerSetConfig(ctx, &structs.SchedulerSetConfigRequest{Config: structs.SchedulerConfiguration{
		SchedulerAlgorithm: structs.SchedulerAlgorithmBinpack,
		PreemptionConfig:   structs.PreemptionConfig{ServiceSchedulerEnabled: true, SystemSchedulerEnabled: true},
	}}); err != nil {
		t.Fatal(err)
	}
	node := mockNode(1024)
	registerNode(t, dial(t, s), node)
	low := mockJob(1, 768)
	low.ID, low.Name, low.Priority = "low", "low", 20
	registerJob(t, s, low)
	victim := waitAllocs(t, s, node.ID, 1)[0]

	high := mockJob(1, 768)
	high.ID, high.Name, high.Priority = "high", "high", 80
	plan, err := s.JobPlan(ctx, &structs.JobPlanRequest{Job: high})
	if err != nil {
		t.Fatal(err)
	}
	got := plan.Annotations.PreemptedAllocs
	if len(got) != 1 || got[0].ID != victim.ID || got[0].JobID != "low" {
		t.Fatalf("plan PreemptedAllocs = %+v, want the alloc %s of job low", got, victim.ID)
	}

	registerJob(t, s, high)
	var placed *structs.Allocation
	testutil.WaitFor(t, func() error {
		live := liveAllocs(t, s, node.ID)
		if len(live) != 1 || live[0].JobID != "high" {
			return fmt.Errorf("got %d live allocs %v, want only high's", len(live), jobsOf(live))
		}
		placed = live[0]
		return nil
	})
	if placed.JobID != "high" || len(placed.PreemptedAllocations) != 1 || placed.PreemptedAllocations[0] != victim.ID {
		t.Fatalf("placed %s of %s with PreemptedAllocations %v, want high's alloc listing %s", placed.ID, placed.JobID, placed.PreemptedAllocations, victim.ID)
	}
	evicted, _ := s.State().AllocByID(nil, victim.ID)
	if evicted.PreemptedByAllocation != placed.ID || evicted.DesiredStatus != structs.AllocDesiredStatusEvict {
		t.Errorf("victim: desired %q preempted by %q, want evict by %s", evicted.DesiredStatus, evicted.PreemptedByAllocation, placed.ID)
	}
}
