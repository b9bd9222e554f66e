// Package state is drover's replicated state store: an in-memory database
// (go-memdb) of nodes, jobs and their versions, evaluations, allocations and
// deployments. Every server holds one; the Raft FSM is its only writer, and
// each write happens at a Raft index that becomes the objects' ModifyIndex.
//
//	FSM.Apply ──► StateStore.UpsertX(index, ...) ──► one memdb write txn
//	                                                   │ copies, never mutates
//	                                                   ▼
//	API reads, BlockingQuery ◄── live StateStore   Snapshot() ──► StateSnapshot
//	                                                   │   .SchedulerState() ──► scheduler
//	                                                   └── Persist ──► Raft snapshot
//
// Words:
//   - head: a job's newest version, in the jobs table, with its status.
//   - version: a job specification kept in job_version (the newest six per
//     job). Re-registering an unchanged specification makes no new version.
//   - index table: the Raft index of each table's latest write; Index and
//     LatestIndex read it, blocking queries compare against it.
//
// Reads come in two forms. The live *StateStore serves API reads and
// blocking queries (BlockingQuery waits on memdb watch channels). A
// *StateSnapshot is an immutable view at one index; schedulers use it
// through SchedulerState. Not-found reads return (nil, nil).
//
// Objects handed out by reads are shared with the store and with other
// readers: callers must never mutate them. Writes copy before changing.
//
// Memory: allocations in the store point at the stored job version they run
// (normalized on write and on restore) instead of carrying a copy, and share
// strings with their job and node. A stored allocation costs about 2.3 KB,
// most of it memdb's radix-tree index entries (about 500 bytes per index).
package state
