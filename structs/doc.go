// Package structs is drover's data model: jobs, task groups, tasks, nodes,
// allocations, evaluations, deployments and plans, with their validation and
// the request and response types carried over Raft and gRPC.
//
// It does no I/O and imports nothing else of the project. JSON field names
// match Nomad's so that job files and API payloads written for Nomad work here.
package structs
