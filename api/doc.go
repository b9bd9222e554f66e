// Package api is the Go client for drover's HTTP API. It uses only the
// standard library. Its types mirror the JSON the agent speaks, which uses
// Nomad's field names; fields whose absence means "use the default" are
// pointers (TaskGroup.Count).
//
// A Client is made from a Config, usually DefaultConfig(), which reads
// DROVER_ADDR, DROVER_TOKEN, DROVER_NAMESPACE and DROVER_REGION:
//
//	c, err := api.NewClient(api.DefaultConfig())
//	resp, _, err := c.Jobs().Register(job, nil)
//	eval, meta, err := c.Evaluations().Info(resp.EvalID, nil)
//
// Endpoints are grouped as in Nomad's client: Jobs, Evaluations,
// Allocations, Nodes, Status and Agent. Every read takes *QueryOptions and
// returns *QueryMeta; a write takes *WriteOptions and returns *WriteMeta.
//
// Blocking queries: pass the LastIndex of an earlier answer as WaitIndex
// (and optionally a WaitTime); the agent holds the request until the data
// changes past that index or the wait ends. Use QueryOptions.WithContext to
// cancel a wait. A non-2xx answer is an *UnexpectedResponseError carrying
// the status code and the agent's message; IsNotFound tests for 404.
package api
