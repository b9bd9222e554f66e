package command

import (
	"fmt"
	"strings"
	"testing"

	"github.com/droverhq/drover/api"
)

func TestAllocStatusShowsPreemption(t *testing.T) {
	tests := []struct {
		name      string
		alloc     api.Allocation
		wants     []string
		forbidden []string
	}{
		{name: "preempting", alloc: api.Allocation{PreemptedAllocations: []string{"11111111-aaaa", "22222222-bbbb"}},
			wants: []string{"Preempted Allocations = 11111111, 22222222\n"}, forbidden: []string{"Preempted By"}},
		{name: "preempted", alloc: api.Allocation{PreemptedByAllocation: "33333333-cccc", DesiredStatus: "evict"},
			wants: []string{"Preempted By        = 33333333\n"}, forbidden: []string{"Preempted Allocations"}},
		{name: "neither", forbidden: []string{"Preempted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, addr := newFakeAgent(t)
			a := tt.alloc
			a.ID, a.Name, a.JobID, a.TaskGroup, a.ClientStatus = "a1b2c3d4-0000", "web.app[0]", "web", "app", "running"
			if a.DesiredStatus == "" {
				a.DesiredStatus = "run"
			}
			f.allocs = []*api.Allocation{&a}
			r := runCLI(t, addr, "", "alloc", "status", "a1b2")
			wantCode(t, r, 0)
			wantContains(t, "stdout", r.stdout, tt.wants...)
			for _, f := range tt.forbidden {
				if strings.Contains(r.stdout, f) {
					t.Errorf("stdout has %q, want it absent:\n%s", f, r.stdout)
				}
			}
		})
	}
}

func TestJobPlanListsPreemptions(t *testing.T) {
	stub := func(i int, job string) *api.AllocListStub {
		return &api.AllocListStub{ID: fmt.Sprintf("%08d-0000-0000-0000-000000000000", i), JobID: job,
			TaskGroup: "cache", Namespace: "default", JobType: "batch"}
	}
	tests := []struct {
		name   string
		allocs []*api.AllocListStub
		wants  []string
	}{
		{name: "table", allocs: []*api.AllocListStub{stub(1, "low"), stub(2, "low")}, wants: []string{
			"Preemptions:\n", "Alloc ID", "Job ID", "Task Group",
			"00000001-0000-0000-0000-000000000000  low     cache"}},
		{name: "summary", allocs: func() []*api.AllocListStub {
			var out []*api.AllocListStub
			for i := 0; i < 12; i++ {
				out = append(out, stub(i, fmt.Sprintf("low-%d", i%2)))
			}
			return out
		}(), wants: []string{"Preemptions:\n", "Job ID  Namespace  Job Type  Preemptions", "low-0   default    batch     6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &api.JobPlanResponse{JobModifyIndex: 7, Annotations: &api.PlanAnnotations{
				DesiredTGUpdates: map[string]*api.DesiredUpdates{"web": {Place: 1, Preemptions: uint64(len(tt.allocs))}},
				PreemptedAllocs:  tt.allocs,
			}}
			addr, _ := planAgent(t, resp, 200)
			r := runCLI(t, addr, "", "job", "plan", writeTempJob(t, planTestJob))
			if r.code != exitPlanChanges {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, exitPlanChanges, r.stdout, r.stderr)
			}
			wantContains(t, "stdout", r.stdout, tt.wants...)
		})
	}
}
