package server

import (
	"context"
	"errors"
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestJobScale(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	job := mockJob(1, 128)
	registerJob(t, s, job)
	waitAllocs(t, s, node.ID, 1)
	ctx := context.Background()
	count := func(n int64) *int64 { return &n }

	resp, err := s.JobScale(ctx, &structs.JobScaleRequest{JobID: job.ID, Namespace: job.Namespace, Group: "web", Count: count(3)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.EvalID == "" {
		t.Fatal("got no eval, want one")
	}
	waitAllocs(t, s, node.ID, 3)
	stored, _ := s.State().JobByID(nil, job.Namespace, job.ID)
	if stored.TaskGroups[0].Count != 3 || stored.Version != 1 {
		t.Fatalf("got count %d version %d, want 3 and version 1", stored.TaskGroups[0].Count, stored.Version)
	}

	if _, err := s.JobScale(ctx, &structs.JobScaleRequest{JobID: job.ID, Namespace: job.Namespace, Group: "web", Count: count(1)}); err != nil {
		t.Fatal(err)
	}
	waitAllocs(t, s, node.ID, 1)

	tests := []struct {
		name string
		req  *structs.JobScaleRequest
		want error
	}{
		{"unknown group", &structs.JobScaleRequest{JobID: job.ID, Group: "nope", Count: count(2)}, structs.ErrInvalid},
		{"negative count", &structs.JobScaleRequest{JobID: job.ID, Group: "web", Count: count(-1)}, structs.ErrInvalid},
		{"no count", &structs.JobScaleRequest{JobID: job.ID, Group: "web"}, structs.ErrInvalid},
		{"unknown job", &structs.JobScaleRequest{JobID: "ghost", Group: "web", Count: count(2)}, structs.ErrNotFound},
		{"stale index", &structs.JobScaleRequest{JobID: job.ID, Group: "web", Count: count(2), EnforceIndex: true, JobModifyIndex: 1}, structs.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.JobScale(ctx, tt.req); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}
