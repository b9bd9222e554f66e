package state

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/structs"
)

func TestBolt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client", "state.db")
	db, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	testDB(t, db)
	// Data survives reopening.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	allocs, err := db2.Allocations()
	if err != nil || len(allocs) != 1 || allocs[0].ID != "a2" {
		t.Fatalf("after reopen got %v (err %v), want alloc a2", allocs, err)
	}
}

func TestMem(t *testing.T) { testDB(t, NewMemDB()) }

// testDB is the suite both implementations pass.
func testDB(t *testing.T, db DB) {
	now := time.Unix(1700000000, 0).UTC()
	for _, id := range []string{"a1", "a2"} {
		a := &structs.Allocation{ID: id, Name: "j.g[0]", Job: &structs.Job{ID: "j", TaskGroups: []*structs.TaskGroup{{Name: "g",
			Tasks: []*structs.Task{{Name: "t", Driver: "mock", Config: map[string]interface{}{"run_for": "1s"}}}}}}}
		if err := db.PutAllocation(a); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := db.TaskState("a1", "t"); st != nil || err != nil {
		t.Fatalf("TaskState before put: got %v, %v; want nil, nil", st, err)
	}
	want := &structs.TaskState{State: structs.TaskStateRunning, Restarts: 2, StartedAt: now,
		Events: []*structs.TaskEvent{{Type: structs.TaskStarted, Time: now.UnixNano()}}}
	if err := db.PutTaskState("a1", "t", want); err != nil {
		t.Fatal(err)
	}
	got, err := db.TaskState("a1", "t")
	if err != nil || got.State != want.State || got.Restarts != 2 || !got.StartedAt.Equal(now) || len(got.Events) != 1 {
		t.Fatalf("TaskState: got %+v (err %v), want %+v", got, err, want)
	}
	h := &drivers.TaskHandle{Driver: "mock", State: drivers.TaskStateRunning, StartedAt: now, DriverState: []byte(`{"Pid":1}`),
		Config: &drivers.TaskConfig{ID: "a1/t/0", Config: map[string]interface{}{"run_for": "1s"}}}
	if err := db.PutTaskHandle("a1", "t", h); err != nil {
		t.Fatal(err)
	}
	gh, err := db.TaskHandle("a1", "t")
	if err != nil || gh.Config.ID != "a1/t/0" || string(gh.DriverState) != `{"Pid":1}` || gh.Config.Config["run_for"] != "1s" {
		t.Fatalf("TaskHandle: got %+v (err %v), want %+v", gh, err, h)
	}
	if err := db.DeleteTaskHandle("a1", "t"); err != nil {
		t.Fatal(err)
	}
	if gh, _ := db.TaskHandle("a1", "t"); gh != nil {
		t.Fatalf("TaskHandle after delete: got %+v, want nil", gh)
	}
	if err := db.DeleteAllocation("a1"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAllocation("missing"); err != nil {
		t.Fatalf("DeleteAllocation(missing): got %v, want nil", err)
	}
	allocs, err := db.Allocations()
	if err != nil || len(allocs) != 1 || allocs[0].ID != "a2" || allocs[0].Job.TaskGroups[0].Tasks[0].Driver != "mock" {
		t.Fatalf("Allocations: got %v (err %v), want only a2 with its job", allocs, err)
	}
}
