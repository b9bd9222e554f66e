package agent

import (
	"errors"
	"testing"
	"time"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/structs"
)

func TestApiJobToStructs(t *testing.T) {
	three := 3
	in := &api.Job{
		ID: "web", Type: structs.JobTypeService, Meta: map[string]string{"k": "v"},
		Update: &api.UpdateStrategy{MaxParallel: 2, MinHealthyTime: 10 * time.Second},
		TaskGroups: []*api.TaskGroup{
			{Name: "unset"},
			{Name: "three", Count: &three, Tasks: []*api.Task{{Name: "t", Driver: "mock",
				Config: map[string]interface{}{"run_for": "1s", "n": 2}}}},
		},
	}
	got, err := apiJobToStructs(in)
	if err != nil {
		t.Fatalf("got error %v", err)
	}
	if got.ID != "web" || got.Meta["k"] != "v" || got.Update.MinHealthyTime != 10*time.Second {
		t.Errorf("got job %+v, want fields carried over", got)
	}
	if got.TaskGroups[0].Count != 1 || got.TaskGroups[1].Count != 3 {
		t.Errorf("got counts %d and %d, want 1 (default) and 3", got.TaskGroups[0].Count, got.TaskGroups[1].Count)
	}
	if in.TaskGroups[0].Count != nil {
		t.Error("conversion changed the input's Count")
	}
	if got.TaskGroups[1].Tasks[0].Config["run_for"] != "1s" {
		t.Errorf("got config %v, want run_for kept", got.TaskGroups[1].Tasks[0].Config)
	}

	back, err := structsJobToAPI(got)
	if err != nil || back.TaskGroups[0].Count == nil || *back.TaskGroups[0].Count != 1 {
		t.Errorf("got %+v, %v converting back, want count 1", back, err)
	}

	if _, err := apiJobToStructs(nil); !errors.Is(err, structs.ErrInvalid) {
		t.Errorf("got error %v for a nil job, want ErrInvalid", err)
	}
}
