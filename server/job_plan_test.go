package server

import (
	"context"
	"errors"
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestJobPlanDryRun(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	job := mockJob(2, 256)
	reg := registerJob(t, s, job)
	waitAllocs(t, s, node.ID, 2)
	ctx := context.Background()

	t.Run("unchanged job changes nothing", func(t *testing.T) {
		resp, err := s.JobPlan(ctx, &structs.JobPlanRequest{Job: job.Copy(), Diff: true})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Diff.Type != structs.DiffTypeNone {
			t.Errorf("diff type: got %s, want None", resp.Diff.Type)
		}
		d := resp.Annotations.DesiredTGUpdates["web"]
		if d == nil || d.Ignore != 2 || d.Place != 0 || d.DestructiveUpdate != 0 {
			t.Errorf("desired updates: got %+v, want 2 ignored", d)
		}
		if resp.JobModifyIndex != reg.JobModifyIndex {
			t.Errorf("JobModifyIndex: got %d, want %d", resp.JobModifyIndex, reg.JobModifyIndex)
		}
	})

	t.Run("count up and env change", func(t *testing.T) {
		before := s.State().LatestIndex()
		edited := job.Copy()
		edited.TaskGroups[0].Count = 3
		edited.TaskGroups[0].Tasks[0].Env = map[string]string{"FOO": "baz"}
		resp, err := s.JobPlan(ctx, &structs.JobPlanRequest{Job: edited, Diff: true})
		if err != nil {
			t.Fatal(err)
		}
		d := resp.Annotations.DesiredTGUpdates["web"]
		if d == nil || d.Place != 1 || d.DestructiveUpdate != 2 {
			t.Errorf("desired updates: got %+v, want 1 place and 2 destructive updates", d)
		}
		tg := resp.Diff.TaskGroups[0]
		if resp.Diff.Type != structs.DiffTypeEdited || tg.Updates[structs.UpdateTypeCreate] != 1 ||
			tg.Updates[structs.UpdateTypeDestructiveUpdate] != 2 {
			t.Errorf("diff: got type %s, updates %v; want Edited, 1 create, 2 create/destroy update", resp.Diff.Type, tg.Updates)
		}
		if len(resp.FailedTGAllocs) != 0 {
			t.Errorf("FailedTGAllocs: got %v, want none", resp.FailedTGAllocs)
		}
		if after := s.State().LatestIndex(); after != before {
			t.Errorf("state index moved from %d to %d: a dry run must write nothing", before, after)
		}
		if live := liveAllocs(t, s, node.ID); len(live) != 2 {
			t.Errorf("got %d live allocs after the plan, want the same 2", len(live))
		}
	})

	t.Run("too big reports failed placements", func(t *testing.T) {
		big := job.Copy()
		big.TaskGroups[0].Count = 100
		resp, err := s.JobPlan(ctx, &structs.JobPlanRequest{Job: big})
		if err != nil {
			t.Fatal(err)
		}
		if resp.FailedTGAllocs["web"] == nil {
			t.Fatalf("FailedTGAllocs: got %v, want a metric for web", resp.FailedTGAllocs)
		}
		if len(resp.CreatedEvals) != 1 || resp.CreatedEvals[0].Status != structs.EvalStatusBlocked {
			t.Errorf("CreatedEvals: got %+v, want one blocked eval", resp.CreatedEvals)
		}
	})

	t.Run("new job places all", func(t *testing.T) {
		fresh := mockJob(2, 128)
		resp, err := s.JobPlan(ctx, &structs.JobPlanRequest{Job: fresh, Diff: true})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Diff.Type != structs.DiffTypeAdded || resp.JobModifyIndex != 0 {
			t.Errorf("got diff %s, JobModifyIndex %d; want Added and 0", resp.Diff.Type, resp.JobModifyIndex)
		}
		if d := resp.Annotations.DesiredTGUpdates["web"]; d == nil || d.Place != 2 {
			t.Errorf("desired updates: got %+v, want 2 places", d)
		}
	})

	t.Run("invalid job", func(t *testing.T) {
		bad := job.Copy()
		bad.TaskGroups[0].Tasks = nil
		if _, err := s.JobPlan(ctx, &structs.JobPlanRequest{Job: bad}); !errors.Is(err, structs.ErrInvalid) {
			t.Fatalf("got %v, want ErrInvalid", err)
		}
	})
}

// A register with the index a plan returned refuses once the job changed.
func TestCheckIndexRefusesChangedJob(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	job := mockJob(1, 128)
	registerJob(t, s, job)
	plan, err := s.JobPlan(context.Background(), &structs.JobPlanRequest{Job: job.Copy()})
	if err != nil {
		t.Fatal(err)
	}
	changed := job.Copy()
	changed.TaskGroups[0].Count = 2
	registerJob(t, s, changed)

	_, err = s.JobRegister(context.Background(), &structs.JobRegisterRequest{Job: job.Copy(), EnforceIndex: true,
		JobModifyIndex: plan.JobModifyIndex})
	if !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
}
