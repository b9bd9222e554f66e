// Package agent is the drover process: it reads the agent configuration
// (Nomad's agent config keys, in HCL or JSON), starts a server and/or a
// client in this process, and serves the HTTP API on top of them.
//
// Flow:
//
//	DefaultConfig / DevConfig -> Merge(LoadConfigFile(...)) -> New (Validate first)
//	New: temp data dir (dev) -> bind HTTP -> server.New (server.enabled)
//	     -> client.New (client.enabled) -> serve HTTP
//	Shutdown: HTTP, client, server, then the dev data dir
//
// Files: config.go (Config, defaults, Merge, Validate), config_parse.go (HCL
// and JSON files), agent.go (Agent lifecycle), server.go and client.go (how
// the agent config becomes theirs), http.go (routes, JSON, errors, panics),
// query.go (query parameters, blocking queries, ID prefixes), and one
// *_endpoint.go per resource. convert.go turns api.Job into structs.Job.
//
// The HTTP API speaks Nomad's paths and JSON field names. Every read is a
// blocking query (?index=N&wait=30s) answered from the local server's state
// store; its index comes back in the X-Drover-Index header. Errors carry a
// structs.Err* category that becomes the status code (see statusOf) and a
// plain-text message. A client-only agent has no state to answer from: its
// server endpoints answer 501 and name the fix.
package agent
