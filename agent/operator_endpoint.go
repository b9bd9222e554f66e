package agent

import (
	"context"
	"net/http"
	"strconv"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// schedulerConfigAPI is the part of the server the scheduler configuration
// endpoints need; *server.Server implements it. It is asserted at run time
// so that test fakes of serverAPI need not implement it.
type schedulerConfigAPI interface {
	SchedulerSetConfig(ctx context.Context, req *structs.SchedulerSetConfigRequest) (*structs.SchedulerSetConfigResponse, error)
}

// SchedulerConfigurationResponse answers GET
// /v1/operator/scheduler/configuration, in Nomad's shape.
type SchedulerConfigurationResponse struct {
	SchedulerConfig *SchedulerConfiguration
	Index           uint64
	LastContact     int64
	KnownLeader     bool
}

// SchedulerConfiguration is the scheduler configuration as the API carries
// it. RejectJobRegistration and PauseEvalBroker are accepted from Nomad's
// clients and always false here.
type SchedulerConfiguration struct {
	SchedulerAlgorithm            string
	PreemptionConfig              structs.PreemptionConfig
	MemoryOversubscriptionEnabled bool
	RejectJobRegistration         bool
	PauseEvalBroker               bool
	CreateIndex                   uint64
	ModifyIndex                   uint64
}

// SchedulerSetConfigurationResponse answers PUT
// /v1/operator/scheduler/configuration: Updated is false when ?cas=N did
// not match the stored configuration's ModifyIndex.
type SchedulerSetConfigurationResponse struct {
	Updated bool
	Index   uint64
}

// operatorSchedulerGet answers GET /v1/operator/scheduler/configuration,
// as a blocking query. Before any set, it answers the defaults.
func (s *httpServer) operatorSchedulerGet(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		_, cfg, err := st.SchedulerConfig(ws)
		if err != nil {
			return nil, err
		}
		if cfg == nil {
			cfg = structs.DefaultSchedulerConfiguration()
		}
		return &SchedulerConfigurationResponse{
			SchedulerConfig: &SchedulerConfiguration{
				SchedulerAlgorithm: cfg.EffectiveAlgorithm(), PreemptionConfig: cfg.PreemptionConfig,
				MemoryOversubscriptionEnabled: cfg.MemoryOversubscriptionEnabled,
				CreateIndex:                   cfg.CreateIndex, ModifyIndex: cfg.ModifyIndex,
			},
			// The same index as the X-Drover-Index header.
			Index:       max(st.Index(state.TableSchedulerConfig), 1),
			KnownLeader: s.srv.Leader() != "",
		}, nil
	}, state.TableSchedulerConfig)
}

// operatorSchedulerSet answers PUT/POST /v1/operator/scheduler/configuration;
// the body is the configuration, ?cas=N makes it a check-and-set.
func (s *httpServer) operatorSchedulerSet(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	api, ok := s.srv.(schedulerConfigAPI)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this server cannot set the scheduler configuration"}
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	var body SchedulerConfiguration
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	if body.RejectJobRegistration || body.PauseEvalBroker {
		return nil, badRequest("RejectJobRegistration and PauseEvalBroker are not supported by drover: leave them false")
	}
	req := &structs.SchedulerSetConfigRequest{
		Config: structs.SchedulerConfiguration{
			SchedulerAlgorithm: body.SchedulerAlgorithm, PreemptionConfig: body.PreemptionConfig,
			MemoryOversubscriptionEnabled: body.MemoryOversubscriptionEnabled,
		},
		WriteRequest: structs.WriteRequest{AuthToken: o.token},
	}
	if v := r.URL.Query().Get("cas"); v != "" {
		idx, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, badRequest("cas=%q is not a number: use the ModifyIndex from a GET of the configuration", v)
		}
		req.CAS, req.Config.ModifyIndex = true, idx
	}
	resp, err := api.SchedulerSetConfig(r.Context(), req)
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, resp.Index)
	return &SchedulerSetConfigurationResponse{Updated: resp.Updated, Index: resp.Index}, nil
}
