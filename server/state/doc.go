// Package state is drover's replicated state store: an in-memory database
// (go-memdb) of nodes, jobs and their versions, evaluations, allocations and
// deployments. Every server holds one; the Raft FSM is its only writer, and
// each write happens at a Raft index that becomes the objects' ModifyIndex.
//
// Reads come in two forms. The live *StateStore serves API reads and
// blocking queries (BlockingQuery waits on memdb watch channels). A
// *StateSnapshot is an immutable view at one index that schedulers use
// through SchedulerView.
//
// Objects handed out by reads are shared with the store and with other
// readers: callers must never mutate them. Writes copy before changing.
//
// Memory: allocations in the store point at the stored job version they run
// (normalized on write and on restore) instead of carrying a copy, so a
// million allocations share a handful of Job values.
package state
