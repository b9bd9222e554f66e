// Package api is the Go client for drover's HTTP API. It uses only the
// standard library. Its types mirror the JSON the agent speaks, which uses
// Nomad's field names; fields whose absence means "use the default" are
// pointers (TaskGroup.Count).
package api
