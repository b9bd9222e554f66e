package agent

import (
	"context"
	"net/http"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// jobScaleAPI is the part of the server `job scale` needs; *server.Server
// implements it (asserted at run time, like jobPlanAPI).
type jobScaleAPI interface {
	JobScale(ctx context.Context, req *structs.JobScaleRequest) (*structs.JobRegisterResponse, error)
}

// ScalingRequest is the body of POST/PUT /v1/job/{id}/scale, as Nomad's:
// Target names the group ({"Group": "web"}). Error, Meta and
// PolicyOverride are accepted and not used: drover records no scaling
// events yet.
type ScalingRequest struct {
	Count          *int64
	Target         map[string]string
	Message        string
	Error          bool
	Meta           map[string]any
	PolicyOverride bool
	EnforceIndex   bool
	JobModifyIndex uint64
	WriteRequest
}

// JobScaleStatusResponse answers GET /v1/job/{id}/scale.
type JobScaleStatusResponse struct {
	JobID          string
	Namespace      string
	JobCreateIndex uint64
	JobModifyIndex uint64
	JobStopped     bool
	TaskGroups     map[string]*TaskGroupScaleStatus
}

// TaskGroupScaleStatus is one group's desired and actual counts.
type TaskGroupScaleStatus struct {
	Desired   int
	Placed    int
	Running   int
	Healthy   int
	Unhealthy int
	Events    []any
}

// jobScale answers POST/PUT /v1/job/{id}/scale: a new job version with the
// group's new count, and its evaluation.
func (s *httpServer) jobScale(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	scaler, ok := s.srv.(jobScaleAPI)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this server cannot scale jobs"}
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	var req ScalingRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	group := req.Target["Group"]
	if group == "" {
		return nil, badRequest("the request names no task group: send {\"Count\": N, \"Target\": {\"Group\": \"name\"}}")
	}
	if job := req.Target["Job"]; job != "" && job != r.PathValue("id") {
		return nil, badRequest("Target.Job %q does not match %q in the URL", job, r.PathValue("id"))
	}
	ns := o.ns(req.Namespace)
	if ns == "" {
		ns = structs.DefaultNamespace
	}
	resp, err := scaler.JobScale(r.Context(), &structs.JobScaleRequest{
		JobID: r.PathValue("id"), Namespace: ns, Group: group, Count: req.Count, Message: req.Message,
		EnforceIndex: req.EnforceIndex, JobModifyIndex: req.JobModifyIndex,
		WriteRequest: structs.WriteRequest{Region: req.Region, Namespace: ns, AuthToken: o.token},
	})
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, resp.Index)
	return resp, nil
}

// jobScaleStatus answers GET /v1/job/{id}/scale.
func (s *httpServer) jobScaleStatus(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.jobRead(w, r, state.TableAllocs, func(ws memdb.WatchSet, st *state.StateStore, job *structs.Job) (any, error) {
		allocs, err := st.AllocsByJob(ws, job.Namespace, job.ID)
		if err != nil {
			return nil, err
		}
		out := &JobScaleStatusResponse{JobID: job.ID, Namespace: job.Namespace, JobCreateIndex: job.CreateIndex,
			JobModifyIndex: job.JobModifyIndex, JobStopped: job.Stop, TaskGroups: map[string]*TaskGroupScaleStatus{}}
		for _, tg := range job.TaskGroups {
			out.TaskGroups[tg.Name] = &TaskGroupScaleStatus{Desired: tg.Count, Events: []any{}}
		}
		for _, a := range allocs {
			g := out.TaskGroups[a.TaskGroup]
			if g == nil || a.TerminalStatus() {
				continue
			}
			g.Placed++
			if a.ClientStatus == structs.AllocClientStatusRunning {
				g.Running++
			}
		}
		return out, nil
	})
}
