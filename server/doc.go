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
// broker, blocked set, plan queue and applier, workers, heartbeat timers,
// the reapers that cancel or fail evaluations, and the node drainer
// (node_drain.go). They are rebuilt from the
// state store each time leadership is gained, so nothing about them needs to
// survive a leader change.
//
// Clusters (serf.go, membership.go, forward.go, autopilot.go,
// snapshot.go): servers find each other with Serf, whose tags map each
// server's Raft address to its RPC address. bootstrap_expect servers
// bootstrap Raft together; the leader's reconcile loop adds joining servers
// as voters and removes those that left, and autopilot removes those that
// stay failed. An endpoint on a follower forwards the request to the
// leader over gRPC (s.forward) and a default read waits for the leader's
// applied index (ReadBarrier). Operator snapshots go through raft.Restore
// so every server installs them.
//
//	follower endpoint ──forward (gRPC)──► leader endpoint ──► RaftApply
//	serf events ──► bootstrap (until done) / leader reconcile ──► AddVoter, RemoveServer
package server
