// Package planapply is the leader's plan queue and plan applier: the one
// place where scheduler decisions become committed allocations.
//
// Schedulers work on snapshots that may be stale, so they plan optimistically.
// Plans queue here by priority; one goroutine takes them one at a time,
// re-checks every node of the plan against the newest state, commits the part
// that still fits through Raft, and answers the waiting worker with what was
// committed. If a node no longer fits (another plan used its capacity, or it
// went down), that node's part of the plan is dropped and the result carries
// a RefreshIndex: the scheduler refreshes its snapshot and plans the rest
// again. Applying one plan at a time is what makes "no node is overcommitted"
// hold without locks in the schedulers.
//
//	worker.SubmitPlan ──► Queue (priority) ──► Applier.run ──► Evaluate(newest state)
//	        ▲                                                      │
//	        └──────────── PlanResult (AllocIndex, RefreshIndex) ◄── Raft apply
package planapply
