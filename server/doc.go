// Package server is drover's server agent: it keeps the cluster state in
// Raft, serves clients over gRPC, and — on the leader — turns evaluations
// into placements.
//
//	gRPC / Go API ──► endpoint ──► RaftApply ──► FSM ──► state store
//	                                                 │ apply hook (leader)
//	                                                 ▼
//	               blocked evals ◄──blocked── eval broker ◄──pending──┘
//	                     │ unblock (capacity)      │ Dequeue
//	                     └──────────► broker       ▼
//	                                            workers ──SubmitPlan──► plan queue ──► plan applier ──► RaftApply
//
// Words: an "endpoint" validates a request and proposes it to Raft; the
// "apply hook" runs on the FSM goroutine after each committed entry and
// routes the new evaluations (pending ones to the broker, blocked ones to
// the blocked set) and capacity changes (node ready, allocation ended) to
// the blocked set. "Leader loops" run only while this server leads: the
// broker, blocked set, plan queue and applier, workers, heartbeat timers
// and the reapers that cancel or fail evaluations. They are rebuilt from the
// state store each time leadership is gained, so nothing about them needs to
// survive a leader change.
//
// One server bootstraps alone today; the Raft setup (peers, configuration,
// transport on its own port) is already what a Serf-joined cluster needs.
package server
