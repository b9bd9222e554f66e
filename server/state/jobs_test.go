package state

import (
	"errors"
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestUpsertJobVersions(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertJob(10, testJob("web")))

	same := testJob("web")
	same.SubmitTime, same.Status = 12345, structs.JobStatusDead // bookkeeping only
	must(t, s.UpsertJob(11, same))

	changed := testJob("web")
	changed.TaskGroups[0].Count = 5
	must(t, s.UpsertJob(12, changed))

	j := get[*structs.Job](t)(s.JobByID(nil, "default", "web"))
	tests := []struct {
		name      string
		got, want uint64
	}{
		{"Version", j.Version, 1},
		{"CreateIndex", j.CreateIndex, 10},
		{"ModifyIndex", j.ModifyIndex, 12},
		{"JobModifyIndex", j.JobModifyIndex, 12},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	versions := get[[]*structs.Job](t)(s.JobVersionsByID(nil, "default", "web"))
	if len(versions) != 2 || versions[0].Version != 1 || versions[1].Version != 0 {
		t.Fatalf("versions: got %d, want [1 0] newest first", len(versions))
	}
	if versions[0] != j {
		t.Errorf("newest version is not the current job")
	}
	v0 := get[*structs.Job](t)(s.JobByIDAndVersion(nil, "default", "web", 0))
	if v0 == nil || v0.TaskGroups[0].Count != 2 || v0.JobModifyIndex != 10 {
		t.Errorf("version 0: got %+v, want count 2 at JobModifyIndex 10", v0)
	}
	if changed.Version != 0 || changed.ModifyIndex != 0 {
		t.Errorf("UpsertJob changed its argument")
	}
}

func TestJobVersionLimit(t *testing.T) {
	s := newStore(t)
	for i := range 10 {
		j := testJob("web")
		j.TaskGroups[0].Count = i + 1
		must(t, s.UpsertJob(uint64(i+1), j))
	}
	versions := get[[]*structs.Job](t)(s.JobVersionsByID(nil, "default", "web"))
	if len(versions) != jobVersionLimit {
		t.Fatalf("kept %d versions, want %d", len(versions), jobVersionLimit)
	}
	if versions[0].Version != 9 || versions[len(versions)-1].Version != 4 {
		t.Errorf("kept versions %d..%d, want 9..4", versions[0].Version, versions[len(versions)-1].Version)
	}
}

func TestJobStatus(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(1, job))
	status := func(want string) {
		t.Helper()
		if got := get[*structs.Job](t)(s.JobByID(nil, "default", "web")).Status; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
	}
	status(structs.JobStatusPending)

	eval := testEval(job)
	must(t, s.UpsertEvals(2, []*structs.Evaluation{eval}))
	status(structs.JobStatusPending)

	stored := get[*structs.Job](t)(s.JobByID(nil, "default", "web"))
	alloc := testAlloc(stored, "n1", 0)
	must(t, s.UpsertAllocs(3, []*structs.Allocation{alloc}))
	done := *eval
	done.Status = structs.EvalStatusComplete
	must(t, s.UpsertEvals(4, []*structs.Evaluation{&done}))
	status(structs.JobStatusRunning)

	finished := &structs.Allocation{ID: alloc.ID, ClientStatus: structs.AllocClientStatusComplete}
	must(t, s.UpdateAllocsFromClient(5, []*structs.Allocation{finished}))
	status(structs.JobStatusDead)

	must(t, s.StopJob(6, "default", "web", nil))
	j := get[*structs.Job](t)(s.JobByID(nil, "default", "web"))
	if !j.Stop || j.Version != 1 || j.Status != structs.JobStatusDead {
		t.Errorf("stopped job: Stop %v Version %d Status %q, want true, 1, dead", j.Stop, j.Version, j.Status)
	}
}

func TestDeleteJobAndLists(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertJob(1, testJob("web")))
	must(t, s.UpsertJob(2, testJob("worker")))
	other := testJob("web-admin")
	other.Namespace = "ops"
	must(t, s.UpsertJob(3, other))
	v1 := testJob("web")
	v1.Priority = 70
	must(t, s.UpsertJob(4, v1))

	tests := []struct {
		name      string
		namespace string
		prefix    string
		want      int
	}{
		{"one namespace", "default", "web", 1},
		{"all namespaces", "*", "web", 2},
		{"empty prefix", "default", "", 2},
		{"no match", "default", "zzz", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(get[[]*structs.Job](t)(s.JobsByIDPrefix(nil, tt.namespace, tt.prefix))); got != tt.want {
				t.Errorf("got %d jobs, want %d", got, tt.want)
			}
		})
	}
	if got := len(get[[]*structs.Job](t)(s.JobsList(nil, "*"))); got != 3 {
		t.Errorf("JobsList(*) = %d jobs, want 3", got)
	}
	if got := len(get[[]*structs.Job](t)(s.JobsList(nil, "ops"))); got != 1 {
		t.Errorf("JobsList(ops) = %d jobs, want 1", got)
	}

	must(t, s.DeleteJob(5, "default", "web"))
	if j := get[*structs.Job](t)(s.JobByID(nil, "default", "web")); j != nil {
		t.Errorf("purged job still readable")
	}
	if vs := get[[]*structs.Job](t)(s.JobVersionsByID(nil, "default", "web")); len(vs) != 0 {
		t.Errorf("purged job kept %d versions", len(vs))
	}
	must(t, s.DeleteJob(6, "default", "never-existed"))
}

func TestJobSummary(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(1, job))
	stored := get[*structs.Job](t)(s.JobByID(nil, "default", "web"))
	a1, a2, a3 := testAlloc(stored, "n1", 0), testAlloc(stored, "n2", 1), testAlloc(stored, "n3", 2)
	must(t, s.UpsertAllocs(2, []*structs.Allocation{a1, a2, a3}))
	must(t, s.UpdateAllocsFromClient(3, []*structs.Allocation{
		{ID: a1.ID, ClientStatus: structs.AllocClientStatusRunning},
		{ID: a2.ID, ClientStatus: structs.AllocClientStatusFailed},
	}))
	eval := testEval(job)
	eval.QueuedAllocations = map[string]int{"web": 4}
	must(t, s.UpsertEvals(4, []*structs.Evaluation{eval}))

	sum := get[*structs.JobSummary](t)(s.JobSummary(nil, "default", "web"))
	want := structs.TaskGroupSummary{Running: 1, Failed: 1, Starting: 1, Queued: 4}
	if got := sum.Summary["web"]; got != want {
		t.Errorf("summary = %+v, want %+v", got, want)
	}
	if sum, _ := s.JobSummary(nil, "default", "nope"); sum != nil {
		t.Errorf("summary of unknown job = %+v, want nil", sum)
	}
}

func TestUpdateJobStability(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertJob(1, testJob("web")))
	v1 := testJob("web")
	v1.Priority = 80
	must(t, s.UpsertJob(2, v1))
	must(t, s.UpdateJobStability(3, "default", "web", 0, true))
	if v := get[*structs.Job](t)(s.JobByIDAndVersion(nil, "default", "web", 0)); !v.Stable {
		t.Errorf("version 0 not stable")
	}
	if head := get[*structs.Job](t)(s.JobByID(nil, "default", "web")); head.Stable {
		t.Errorf("marking version 0 stable changed the head (version %d)", head.Version)
	}
	must(t, s.UpdateJobStability(4, "default", "web", 1, true))
	if head := get[*structs.Job](t)(s.JobByID(nil, "default", "web")); !head.Stable || head.Version != 1 {
		t.Errorf("head not stable after marking its version")
	}
	if err := s.UpdateJobStability(5, "default", "web", 9, true); !errors.Is(err, structs.ErrNotFound) {
		t.Errorf("unknown version: got %v, want ErrNotFound", err)
	}
}
