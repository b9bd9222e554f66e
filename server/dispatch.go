package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/droverhq/drover/structs"
)

// JobDispatch launches a child of a parameterized job with the request's
// payload and meta: <parent>/dispatch-<unix>-<8 hex>, registered through
// Raft with its evaluation. A request whose IdempotencyToken names an
// existing, not stopped child returns that child instead.
func (s *Server) JobDispatch(ctx context.Context, req *structs.JobDispatchRequest) (*structs.JobDispatchResponse, error) {
	if req == nil || req.JobID == "" {
		return nil, fmt.Errorf("dispatch job: JobID is required: %w", structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.JobDispatchResponse](ctx, s, methodJobDispatch, req); ok {
		return resp, err
	}
	ns := firstNonEmpty(req.Namespace, structs.DefaultNamespace)
	parent, err := s.state.JobByID(nil, ns, req.JobID)
	if err != nil {
		return nil, err
	}
	if parent == nil {
		return nil, fmt.Errorf("dispatch job: job %q in namespace %q: %w", req.JobID, ns, structs.ErrNotFound)
	}
	if err := validateDispatch(parent, req); err != nil {
		return nil, err
	}
	s.periodic.dispatchMu.Lock()
	defer s.periodic.dispatchMu.Unlock()
	if req.IdempotencyToken != "" {
		if resp, err := s.dispatchedWithToken(parent, req.IdempotencyToken); resp != nil || err != nil {
			return resp, err
		}
	}
	now := s.now()
	id := parent.ID + structs.DispatchLaunchSuffix + strconv.FormatInt(now.Unix(), 10) + "-" + structs.GenerateUUID()[:8]
	child := deriveChild(parent, id)
	child.Payload = slices.Clone(req.Payload)
	child.DispatchIdempotencyToken = req.IdempotencyToken
	child.Meta = maps.Clone(parent.Meta)
	if len(req.Meta) > 0 && child.Meta == nil {
		child.Meta = map[string]string{}
	}
	maps.Copy(child.Meta, req.Meta)
	reg, err := s.JobRegister(ctx, &structs.JobRegisterRequest{Job: child, WriteRequest: structs.WriteRequest{Namespace: ns}})
	if err != nil {
		return nil, fmt.Errorf("dispatch job %q: %w", parent.ID, err)
	}
	resp := &structs.JobDispatchResponse{DispatchedJobID: id, EvalID: reg.EvalID, EvalCreateIndex: reg.EvalCreateIndex,
		JobCreateIndex: reg.Index, WriteMeta: reg.WriteMeta}
	if stored, err := s.state.JobByID(nil, ns, id); err == nil && stored != nil {
		resp.JobCreateIndex = stored.CreateIndex
	}
	return resp, nil
}

// dispatchedWithToken finds parent's live child dispatched with token.
func (s *Server) dispatchedWithToken(parent *structs.Job, token string) (*structs.JobDispatchResponse, error) {
	children, err := s.state.JobsByIDPrefix(nil, parent.Namespace, parent.ID+structs.DispatchLaunchSuffix)
	if err != nil {
		return nil, err
	}
	for _, c := range children {
		if c.ParentID != parent.ID || c.DispatchIdempotencyToken != token || c.Stop {
			continue
		}
		resp := &structs.JobDispatchResponse{DispatchedJobID: c.ID, JobCreateIndex: c.CreateIndex,
			WriteMeta: structs.WriteMeta{Index: c.ModifyIndex}}
		evals, err := s.state.EvalsByJob(nil, c.Namespace, c.ID)
		if err != nil {
			return nil, err
		}
		for _, e := range evals {
			if resp.EvalID == "" || e.CreateIndex < resp.EvalCreateIndex {
				resp.EvalID, resp.EvalCreateIndex = e.ID, e.CreateIndex
			}
		}
		return resp, nil
	}
	return nil, nil
}

// validateDispatch checks a dispatch request against its parent's
// parameterized block: the payload rule, its size, and the meta keys.
func validateDispatch(parent *structs.Job, req *structs.JobDispatchRequest) error {
	p := parent.ParameterizedJob
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("dispatch job %q: %s: %w", parent.ID, fmt.Sprintf(format, args...), structs.ErrInvalid)
	}
	switch {
	case p == nil:
		return invalid("the job is not parameterized; only jobs with a parameterized block can be dispatched")
	case parent.Stop:
		return invalid("the job is stopped; run it again before dispatching")
	}
	payload := firstNonEmpty(p.Payload, structs.DispatchPayloadOptional)
	switch {
	case payload == structs.DispatchPayloadRequired && len(req.Payload) == 0:
		return invalid("the job requires a payload (parameterized payload = \"required\"); pass a file or - for stdin")
	case payload == structs.DispatchPayloadForbidden && len(req.Payload) > 0:
		return invalid("the job forbids a payload (parameterized payload = \"forbidden\")")
	case len(req.Payload) > structs.DispatchPayloadSizeLimit:
		return invalid("the payload is %d bytes; the limit is %d", len(req.Payload), structs.DispatchPayloadSizeLimit)
	}
	var unpermitted []string
	for k := range req.Meta {
		if !slices.Contains(p.MetaRequired, k) && !slices.Contains(p.MetaOptional, k) {
			unpermitted = append(unpermitted, k)
		}
	}
	if len(unpermitted) > 0 {
		slices.Sort(unpermitted)
		return invalid("meta keys %s are not allowed; the job allows %s", quoteList(unpermitted),
			quoteList(append(slices.Clone(p.MetaRequired), p.MetaOptional...)))
	}
	var missing []string
	for _, k := range p.MetaRequired {
		if _, ok := req.Meta[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return invalid("required meta keys %s are missing; pass them with -meta key=value", quoteList(missing))
	}
	return nil
}

func quoteList(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(k)
	}
	return strings.Join(q, ", ")
}
