package api

import (
	"net/http"
	"strconv"
)

// Scheduler algorithms.
const (
	SchedulerAlgorithmBinpack = "binpack"
	SchedulerAlgorithmSpread  = "spread"
)

// SchedulerConfiguration is the cluster's scheduler configuration.
type SchedulerConfiguration struct {
	SchedulerAlgorithm            string
	PreemptionConfig              PreemptionConfig
	MemoryOversubscriptionEnabled bool
	CreateIndex                   uint64
	ModifyIndex                   uint64
}

// PreemptionConfig enables preemption per scheduler type.
type PreemptionConfig struct {
	SystemSchedulerEnabled   bool
	SysBatchSchedulerEnabled bool
	BatchSchedulerEnabled    bool
	ServiceSchedulerEnabled  bool
}

// SchedulerConfigurationResponse answers a read of the configuration.
type SchedulerConfigurationResponse struct {
	SchedulerConfig *SchedulerConfiguration
	Index           uint64
}

// SchedulerSetConfigurationResponse answers a write: Updated is false when
// a check-and-set found the configuration changed since.
type SchedulerSetConfigurationResponse struct {
	Updated bool
	Index   uint64
}

// Operator is the operator endpoint group.
type Operator struct{ c *Client }

// Operator returns the operator endpoints.
func (c *Client) Operator() *Operator { return &Operator{c: c} }

// SchedulerGetConfiguration reads the scheduler configuration.
func (o *Operator) SchedulerGetConfiguration(q *QueryOptions) (*SchedulerConfigurationResponse, *QueryMeta, error) {
	var out SchedulerConfigurationResponse
	qm, err := o.c.query("/v1/operator/scheduler/configuration", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// SchedulerSetConfiguration replaces the scheduler configuration.
func (o *Operator) SchedulerSetConfiguration(conf *SchedulerConfiguration, w *WriteOptions) (*SchedulerSetConfigurationResponse, *WriteMeta, error) {
	return o.setScheduler(conf, "", w)
}

// SchedulerCASConfiguration replaces the scheduler configuration only if
// its ModifyIndex is still conf.ModifyIndex.
func (o *Operator) SchedulerCASConfiguration(conf *SchedulerConfiguration, w *WriteOptions) (*SchedulerSetConfigurationResponse, *WriteMeta, error) {
	return o.setScheduler(conf, strconv.FormatUint(conf.ModifyIndex, 10), w)
}

func (o *Operator) setScheduler(conf *SchedulerConfiguration, cas string, w *WriteOptions) (*SchedulerSetConfigurationResponse, *WriteMeta, error) {
	r := o.c.newRequest(http.MethodPut, "/v1/operator/scheduler/configuration")
	r.setWrite(w)
	if cas != "" {
		r.params.Set("cas", cas)
	}
	r.body = conf
	var out SchedulerSetConfigurationResponse
	wm, err := o.c.send(r, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}
