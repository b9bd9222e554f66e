// Package scheduler turns an evaluation into a plan. It is pure placement
// logic: it reads a State snapshot and acts only through a Planner, so it has
// no network, Raft or storage code, and tests and benchmarks run it on an
// in-memory state (see Harness and MemState).
//
// # Pipeline
//
// BuiltinSchedulers holds one scheduler per job type: service, batch,
// system and sysbatch. All share the pipeline below; system and sysbatch
// jobs replace the count-based reconcile and the candidate ranking with
// "one allocation of each group on every feasible node" (system.go).
//
// One evaluation of a service or batch job goes through:
//
//	Evaluation
//	    │
//	    ▼
//	reconcile ─── job + its allocations ──► stops, in-place updates, placements
//	    │            (count, names job.group[i], lost, failed, updated spec)
//	    ▼
//	feasibility ── once per task group over every node:
//	    │            ready → datacenter → pool → drivers → host volumes → constraints
//	    ▼            (failures counted in an AllocMetric)
//	candidates ─── feasible nodes, shuffled, in one bucket per combination
//	    │            of spread values (one bucket without spreads); per
//	    │            placement the buckets are ranked by spread score and a
//	    │            window of `limit` nodes of each is checked for fit
//	    │            (cpu, memory, disk, ports, distinct_hosts,
//	    │            distinct_property) and scored, best bucket first, until
//	    │            no later bucket can win (spread.go)
//	    ▼
//	rank ───────── bin-pack (or spread) + job anti-affinity + affinities
//	    │            + spreads; the best in the window wins; ports assigned
//	    │            there; the best 3 reported in ScoreMetaData
//	    ▼
//	preempt ────── if nothing fits and preemption is on for the job type:
//	    │            evict lower-priority allocs on the cheapest node
//	    ▼
//	plan ───────── SubmitPlan; on a partial commit refresh the state and redo
//	    │            (at most maxPlanAttempts times)
//	    ▼
//	eval status ── complete / failed; blocked eval for groups that did not fit
//
// The operator's structs.SchedulerConfiguration (State.SchedulerConfig,
// nil for the defaults) chooses the algorithm, preemption per job type and
// memory oversubscription. A Planner that implements AnnotatingPlanner
// (DryRunPlanner, for `job plan`) receives every plan, no-op ones too;
// plan.Annotations.DesiredTGUpdates counts, for every group, what the plan
// places, stops, updates in place or destructively, migrates, ignores and
// preempts.
//
// # Words
//
//   - feasible: a node that may run the group at all (static facts: status,
//     datacenter, pool, drivers, volumes, constraints). Computed once per task
//     group per evaluation. The checks that read only fields in the node's
//     ComputedClass (drivers, volumes, constraints not on node.unique.* or
//     unique.* attributes and meta) run once per class and are reused for
//     the class's other nodes; the unique ones run per node, after.
//   - fit: a feasible node with room left for one more instance, given the
//     allocations already there, those this plan stops and those it places.
//     Usage is kept per node incrementally, so a placement costs O(limit), not
//     O(nodes) or O(allocs).
//   - exhausted: a feasible node that does not fit. Within one evaluation a
//     group's instances all ask the same, and usage only grows, so an
//     exhausted node is dropped from that group's candidates for good.
//   - limit: how many fitting nodes of a bucket are scored per placement:
//     max(2, bit length of the bucket's feasible nodes, about log2) for
//     service jobs, 2 for batch jobs ("the power of two choices"), as Nomad
//     does; every node of the bucket when the group has affinities, since a
//     preference only helps if the preferred nodes are looked at. Spreads
//     need no full scan: every bucket's spread score is known without
//     looking at its nodes. A wider window packs a little tighter; a
//     narrower one is faster and spreads concurrent schedulers' choices,
//     which lowers plan conflicts. The window moves on through the shuffled
//     bucket from one placement to the next, so successive instances see
//     different nodes.
//   - score: the sum of the parts, each in [-1, 1]: bin-pack
//     (fuller after placement is better, cpu and memory; with the "spread"
//     algorithm emptier is better), job anti-affinity
//     (-instances of the group already on the node / count), affinity
//     (matched weights / total weight), spread (the node's attribute value's
//     deficit against its share of the instances placed so far, over a
//     tolerance that shrinks to half an instance at weight 100; -1 when it
//     should get none; see spread.go), and -1 on the node a rescheduled
//     allocation failed on.
//   - reconcile: names are job.group[index]; missing indexes are filled
//     lowest first, extra ones stopped highest first. Allocations on down
//     nodes are stopped as lost and replaced; on draining nodes (service
//     jobs) migrated; failed ones replaced while the reschedule policy has
//     attempts left, once its delay has passed (until then a follow-up
//     evaluation waits, named by the alloc's FollowupEvalID); finished batch
//     ones are kept as done. A changed task spec is a destructive update
//     (stop + place under the same name); other job changes update in place.
//   - updates on unready nodes: the plan applier accepts no NodeAllocation
//     entries on a node that is not Ready (down, draining, ineligible), so
//     the scheduler never puts in-place or FollowupEvalID updates there.
//   - blocked eval: a follow-up evaluation the server parks until capacity
//     appears on a node class that could help (ClassEligibility; with
//     EscapedComputedClass set when a constraint reads unique fields, so
//     any class may help). System jobs are never blocked.
//   - preemption: evicting allocations of jobs at least 10 priority lower
//     (structs.CanPreempt) to make room: on one node, lowest priority tier
//     first, the fewest that cover the shortfall (cpu, memory, disk, static
//     and dynamic ports); across nodes, the set with the lowest highest
//     priority, then the fewest. Evictions go in plan.NodePreemptions, the
//     new alloc lists them in PreemptedAllocations. On by default for
//     system jobs only.
package scheduler
