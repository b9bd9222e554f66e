package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func parameterizedJob(payload string, required, optional []string) *structs.Job {
	j := mockJob(1, 128)
	j.Type = structs.JobTypeBatch
	j.Meta = map[string]string{"team": "data"}
	j.ParameterizedJob = &structs.ParameterizedJobConfig{Payload: payload, MetaRequired: required, MetaOptional: optional}
	return j
}

func TestValidateDispatch(t *testing.T) {
	big := make([]byte, structs.DispatchPayloadSizeLimit+1)
	stopped := parameterizedJob("optional", nil, nil)
	stopped.Stop = true
	cases := []struct {
		name    string
		parent  *structs.Job
		payload []byte
		meta    map[string]string
		want    string // "" means valid
	}{
		{"valid", parameterizedJob("optional", []string{"input"}, []string{"mode"}), nil, map[string]string{"input": "a", "mode": "b"}, ""},
		{"not parameterized", mockJob(1, 128), nil, nil, "not parameterized"},
		{"stopped", stopped, nil, nil, "stopped"},
		{"payload required", parameterizedJob("required", nil, nil), nil, nil, `requires a payload`},
		{"payload forbidden", parameterizedJob("forbidden", nil, nil), []byte("x"), nil, `forbids a payload`},
		{"payload too large", parameterizedJob("optional", nil, nil), big, nil, "the limit is 16384"},
		{"missing required meta", parameterizedJob("optional", []string{"input", "day"}, nil), nil, map[string]string{"input": "a"}, `required meta keys "day" are missing`},
		{"unpermitted meta", parameterizedJob("optional", []string{"input"}, nil), nil, map[string]string{"input": "a", "x": "y"}, `meta keys "x" are not allowed; the job allows "input"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := validateDispatch(tc.parent, &structs.JobDispatchRequest{JobID: tc.parent.ID, Payload: tc.payload, Meta: tc.meta})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("got %v, want valid", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			case tc.want != "" && !errors.Is(err, structs.ErrInvalid):
				t.Fatalf("got %v, want it to wrap ErrInvalid (HTTP 400)", err)
			}
		})
	}
}

func TestJobDispatch(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	parent := parameterizedJob("optional", []string{"input"}, []string{"mode"})
	if resp := registerJob(t, s, parent); resp.EvalID != "" {
		t.Fatalf("registering a parameterized job created eval %s, want none", resp.EvalID)
	}
	ctx := context.Background()
	req := &structs.JobDispatchRequest{JobID: parent.ID, Payload: []byte("hello"), Meta: map[string]string{"input": "s3://x"},
		IdempotencyToken: "tok-1"}
	resp, err := s.JobDispatch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.DispatchedJobID, parent.ID+"/dispatch-") || resp.EvalID == "" || resp.JobCreateIndex == 0 || resp.Index == 0 {
		t.Fatalf("dispatch response %+v: want a /dispatch- child, an eval and indexes", resp)
	}
	child, err := s.State().JobByID(nil, parent.Namespace, resp.DispatchedJobID)
	if err != nil || child == nil {
		t.Fatalf("dispatched child %q not in state: %v", resp.DispatchedJobID, err)
	}
	if child.ParentID != parent.ID || child.ParameterizedJob != nil || string(child.Payload) != "hello" ||
		child.Meta["input"] != "s3://x" || child.Meta["team"] != "data" {
		t.Fatalf("child: ParentID %q Parameterized %v Payload %q Meta %v; want parent, nil, hello, merged meta",
			child.ParentID, child.ParameterizedJob, child.Payload, child.Meta)
	}

	again, err := s.JobDispatch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if again.DispatchedJobID != resp.DispatchedJobID || again.EvalID != resp.EvalID {
		t.Fatalf("same idempotency token: got child %q eval %q, want %q %q", again.DispatchedJobID, again.EvalID, resp.DispatchedJobID, resp.EvalID)
	}
	other, err := s.JobDispatch(ctx, &structs.JobDispatchRequest{JobID: parent.ID, Meta: map[string]string{"input": "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if other.DispatchedJobID == resp.DispatchedJobID {
		t.Fatal("a dispatch without the token returned the earlier child")
	}

	_, err = s.JobDispatch(ctx, &structs.JobDispatchRequest{JobID: parent.ID})
	if !errors.Is(err, structs.ErrInvalid) || !strings.Contains(err.Error(), `"input"`) {
		t.Fatalf("dispatch without required meta: got %v, want an invalid error naming \"input\"", err)
	}
	if _, err := s.JobDispatch(ctx, &structs.JobDispatchRequest{JobID: "nope"}); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("dispatch of a missing job: got %v, want ErrNotFound", err)
	}
}

// TestLaunchesThroughFollowerAndFailover sends force and dispatch to a
// follower (forwarded to the leader), then kills the leader: the new
// leader rebuilds the periodic schedule from state.
func TestLaunchesThroughFollowerAndFailover(t *testing.T) {
	servers := newCluster(t, 3)
	leader := waitLeader(t, servers)
	f := followers(servers)[0]
	ctx := context.Background()

	periodic := mockJob(1, 128)
	periodic.Type = structs.JobTypeBatch
	periodic.Periodic = &structs.PeriodicConfig{Enabled: true, Spec: "@daily"}
	if _, err := f.JobRegister(ctx, &structs.JobRegisterRequest{Job: periodic}); err != nil {
		t.Fatal(err)
	}
	forced, err := f.PeriodicForce(ctx, &structs.PeriodicForceRequest{JobID: periodic.ID})
	if err != nil || forced.EvalID == "" {
		t.Fatalf("force through follower: %+v, %v; want an eval", forced, err)
	}
	if j, _ := f.State().JobByID(nil, periodic.Namespace, forced.ChildJobID); j == nil {
		t.Fatalf("follower has no forced child %s after the forwarded write", forced.ChildJobID)
	}

	param := parameterizedJob("optional", []string{"input"}, nil)
	if _, err := f.JobRegister(ctx, &structs.JobRegisterRequest{Job: param}); err != nil {
		t.Fatal(err)
	}
	d, err := f.JobDispatch(ctx, &structs.JobDispatchRequest{JobID: param.ID, Meta: map[string]string{"input": "x"}})
	if err != nil || d.EvalID == "" {
		t.Fatalf("dispatch through follower: %+v, %v; want an eval", d, err)
	}
	_, err = f.JobDispatch(ctx, &structs.JobDispatchRequest{JobID: param.ID})
	if !errors.Is(err, structs.ErrInvalid) {
		t.Fatalf("invalid dispatch through follower: got %v, want ErrInvalid across the forward", err)
	}

	if _, ok := leader.PeriodicNext(periodic.Namespace, periodic.ID); !ok {
		testutil.WaitFor(t, func() error {
			if _, ok := leader.PeriodicNext(periodic.Namespace, periodic.ID); !ok {
				return fmt.Errorf("leader does not track %s", periodic.ID)
			}
			return nil
		})
	}
	if _, ok := f.PeriodicNext(periodic.Namespace, periodic.ID); ok {
		t.Fatal("a follower tracks periodic jobs")
	}
	leader.Shutdown()
	var rest []*Server
	for _, s := range servers {
		if s != leader {
			rest = append(rest, s)
		}
	}
	next := waitLeader(t, rest)
	testutil.WaitFor(t, func() error {
		if _, ok := next.PeriodicNext(periodic.Namespace, periodic.ID); !ok {
			return fmt.Errorf("new leader %s does not track %s", next.config.NodeName, periodic.ID)
		}
		return nil
	})
}
