package scheduler

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/droverhq/drover/structs"
)

// Descriptions put on stopped allocations.
const (
	descJobStopped     = "alloc not needed as job is stopped"
	descNotNeeded      = "alloc not needed due to job update"
	descGroupRemoved   = "alloc not needed as task group was removed"
	descDuplicate      = "alloc not needed as another alloc has the same name"
	descUpdating       = "alloc is being updated due to job update"
	descMigrating      = "alloc is being migrated off a draining node"
	descLost           = "alloc is lost since its node is down"
	descRescheduled    = "alloc was rescheduled because it failed"
	allocNameIndexOpen = '['
)

// slotKind classifies an allocation that holds one of a group's name slots,
// ordered by how much we want to keep it when two claim the same slot.
type slotKind int

const (
	kindKeep        slotKind = iota // runs the current spec
	kindInPlace                     // same spec, older job version: update in place
	kindDestructive                 // spec changed: stop and replace
	kindMigrate                     // on a draining node: stop and replace
	kindDone                        // batch allocation that completed: never replaced
	kindLost                        // on a down node: stop as lost and replace
	kindReschedule                  // failed, with reschedule attempts left, due now
	kindDelayed                     // failed, to be rescheduled after its delay
	kindFailed                      // failed, no attempts left: holds its slot
)

// slot is one allocation holding the name job.group[index].
type slot struct {
	alloc *structs.Allocation
	index int
	kind  slotKind
}

// stopRequest stops an existing allocation.
type stopRequest struct {
	alloc        *structs.Allocation
	desc         string
	clientStatus string
}

// placeRequest asks for one new allocation.
type placeRequest struct {
	tg    *structs.TaskGroup
	name  string
	index int
	// prev is the allocation this one replaces, if any.
	prev *structs.Allocation
	// reschedule marks the replacement of a failed allocation: it carries
	// the reschedule history and avoids the node that failed.
	reschedule bool
	// node, for system and sysbatch jobs, is the node it must go on.
	node *structs.Node
}

// delayedReschedule is a failed allocation whose reschedule waits for its
// policy's delay: a follow-up evaluation at `at` will replace it.
type delayedReschedule struct {
	alloc *structs.Allocation
	at    time.Time
}

// reconcileResult is what the plan must do, before any node is chosen.
type reconcileResult struct {
	stops   []stopRequest
	inplace []*structs.Allocation
	places  []placeRequest
	delayed []delayedReschedule
	desired map[string]*structs.DesiredUpdates
}

func (r *reconcileResult) updates(group string) *structs.DesiredUpdates {
	d := r.desired[group]
	if d == nil {
		d = &structs.DesiredUpdates{}
		r.desired[group] = d
	}
	return d
}

func (r *reconcileResult) stop(a *structs.Allocation, desc, clientStatus string) {
	r.stops = append(r.stops, stopRequest{alloc: a, desc: desc, clientStatus: clientStatus})
	r.updates(a.TaskGroup).Stop++
}

// reconcile compares the job's groups with its allocations.
func (c *evalContext) reconcile(allocs []*structs.Allocation) *reconcileResult {
	c.jobAllocs = allocs
	r := &reconcileResult{desired: map[string]*structs.DesiredUpdates{}}
	byGroup := map[string][]*structs.Allocation{}
	replaced := map[string]bool{}
	for _, a := range allocs {
		byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
		if a.PreviousAllocation != "" {
			replaced[a.PreviousAllocation] = true
		}
	}
	c.annotateGroups(r)
	if c.job == nil || c.job.Stop {
		for _, a := range allocs {
			c.stopIfLive(r, a, descJobStopped)
		}
		return r
	}
	for _, tg := range c.job.TaskGroups {
		if tg == nil {
			continue // validation rejects these; never panic on them
		}
		c.queued[tg.Name] = 0
		r.updates(tg.Name) // every group is annotated, even with nothing to do
		c.reconcileGroup(r, tg, byGroup[tg.Name], replaced)
		delete(byGroup, tg.Name)
	}
	gone := make([]string, 0, len(byGroup))
	for name := range byGroup {
		gone = append(gone, name)
	}
	sort.Strings(gone) // deterministic plans
	for _, name := range gone {
		for _, a := range byGroup[name] {
			c.stopIfLive(r, a, descGroupRemoved)
		}
	}
	return r
}

// stopIfLive stops an allocation the servers still want running, marking it
// lost when its node is down.
func (c *evalContext) stopIfLive(r *reconcileResult, a *structs.Allocation, desc string) {
	if a.DesiredStatus != structs.AllocDesiredStatusRun {
		return
	}
	if c.onDownNode(a) {
		r.stop(a, desc, structs.AllocClientStatusLost)
		return
	}
	if a.ClientTerminalStatus() {
		return // already ended on its own; nothing to stop
	}
	r.stop(a, desc, "")
}

func (c *evalContext) onDownNode(a *structs.Allocation) bool {
	if a.ClientStatus == structs.AllocClientStatusLost {
		return true
	}
	n := c.node(a.NodeID)
	return n == nil || n.TerminalStatus()
}

// reconcileGroup decides, for one group, which allocations keep their
// slot, which are stopped or replaced, and which new ones to place.
func (c *evalContext) reconcileGroup(r *reconcileResult, tg *structs.TaskGroup, allocs []*structs.Allocation, replaced map[string]bool) {
	var slots []slot
	for _, a := range allocs {
		if k, ok := c.classify(tg, a, replaced); ok {
			slots = append(slots, slot{alloc: a, index: allocIndex(a.Name), kind: k})
		}
	}
	sort.Slice(slots, func(i, j int) bool {
		if slots[i].index != slots[j].index {
			return slots[i].index < slots[j].index
		}
		return slots[i].kind < slots[j].kind
	})
	taken := map[int]bool{}
	claimed := slots[:0:0]
	for _, sl := range slots {
		if taken[sl.index] {
			c.drop(r, sl, descDuplicate)
			continue
		}
		taken[sl.index] = true
		claimed = append(claimed, sl)
	}
	// Count went down: the highest indexes go first, so names stay dense.
	for len(claimed) > tg.Count {
		last := claimed[len(claimed)-1]
		c.drop(r, last, descNotNeeded)
		delete(taken, last.index)
		claimed = claimed[:len(claimed)-1]
	}
	for _, sl := range claimed {
		c.act(r, tg, sl)
	}
	// Fill the lowest free indexes first.
	for i, missing := 0, tg.Count-len(claimed); missing > 0; i++ {
		if !taken[i] {
			r.places = append(r.places, placeRequest{tg: tg, name: c.allocName(tg, i), index: i})
			r.updates(tg.Name).Place++
			missing--
		}
	}
}

// classify says what an allocation is to its group, or false when it no
// longer holds a slot (stopped, replaced, or a finished service alloc whose
// slot is refilled).
func (c *evalContext) classify(tg *structs.TaskGroup, a *structs.Allocation, replaced map[string]bool) (slotKind, bool) {
	if a.DesiredStatus != structs.AllocDesiredStatusRun {
		return 0, false
	}
	switch a.ClientStatus {
	case structs.AllocClientStatusComplete:
		// A batch job's finished work stays done; a service should run
		// forever, so its slot is simply filled again.
		return kindDone, c.s.batch
	case structs.AllocClientStatusFailed:
		if replaced[a.ID] || a.NextAllocation != "" {
			return 0, false
		}
		p := c.reschedulePolicy(tg)
		switch {
		case !canReschedule(p, a, c.now):
			return kindFailed, true
		case a.FollowupEvalID == c.ev.ID || !rescheduleTime(p, a).After(c.now.Add(rescheduleTolerance)):
			// Due, or this is the follow-up evaluation created for it
			// (follow-ups batch allocations due within a few seconds).
			return kindReschedule, true
		case !c.nodeReady(a.NodeID):
			// Waiting needs an update of the alloc, which the plan applier
			// refuses on a node that takes no placements; the node is
			// unwell anyway, so replace the alloc now.
			return kindReschedule, true
		}
		return kindDelayed, true
	case structs.AllocClientStatusLost:
		return kindLost, true
	}
	n := c.node(a.NodeID)
	switch {
	case n == nil || n.TerminalStatus():
		return kindLost, true
	case n.Drain && !c.s.batch:
		// Batch work is left to finish on a draining node.
		return kindMigrate, true
	case c.upToDate(a):
		return kindKeep, true
	case c.specChanged(tg, a) || c.group(tg).checkSpec(n) != "":
		return kindDestructive, true
	case !n.Ready():
		// The plan applier takes no updates on a node that takes no
		// placements; the spec is unchanged, so the alloc runs on as is.
		return kindKeep, true
	}
	return kindInPlace, true
}

func (c *evalContext) nodeReady(id string) bool {
	n := c.node(id)
	return n != nil && n.Ready()
}

// drop releases a slot the group no longer needs.
func (c *evalContext) drop(r *reconcileResult, sl slot, desc string) {
	switch sl.kind {
	case kindLost:
		r.stop(sl.alloc, desc, structs.AllocClientStatusLost)
	case kindDone, kindReschedule, kindDelayed, kindFailed:
		r.updates(sl.alloc.TaskGroup).Ignore++ // already ended
	default:
		r.stop(sl.alloc, desc, "")
	}
}

// act carries out what a kept slot needs.
func (c *evalContext) act(r *reconcileResult, tg *structs.TaskGroup, sl slot) {
	d := r.updates(tg.Name)
	replace := func(reschedule bool) {
		r.places = append(r.places, placeRequest{tg: tg, name: c.allocName(tg, sl.index), index: sl.index, prev: sl.alloc, reschedule: reschedule})
	}
	switch sl.kind {
	case kindKeep, kindDone, kindFailed:
		d.Ignore++
	case kindDelayed:
		d.Ignore++
		if sl.alloc.FollowupEvalID == "" { // else a follow-up is already waiting
			at := rescheduleTime(c.reschedulePolicy(tg), sl.alloc)
			r.delayed = append(r.delayed, delayedReschedule{alloc: sl.alloc, at: at})
		}
	case kindInPlace:
		r.inplace = append(r.inplace, sl.alloc)
		d.InPlaceUpdate++
	case kindDestructive:
		r.stops = append(r.stops, stopRequest{alloc: sl.alloc, desc: descUpdating})
		d.DestructiveUpdate++
		replace(false)
	case kindMigrate:
		r.stops = append(r.stops, stopRequest{alloc: sl.alloc, desc: descMigrating})
		d.Migrate++
		replace(false)
	case kindLost:
		r.stop(sl.alloc, descLost, structs.AllocClientStatusLost)
		d.Place++
		replace(false)
	case kindReschedule:
		// Stopping the failed alloc makes it terminal for every later
		// evaluation, whether or not the store links NextAllocation.
		r.stops = append(r.stops, stopRequest{alloc: sl.alloc, desc: descRescheduled})
		d.Place++
		replace(true)
	}
}

func (c *evalContext) allocName(tg *structs.TaskGroup, index int) string {
	return c.job.ID + "." + tg.Name + "[" + strconv.Itoa(index) + "]"
}

// allocIndex parses the index out of "job.group[index]". Unparsable names
// sort last so they are the first dropped.
func allocIndex(name string) int {
	open := strings.LastIndexByte(name, allocNameIndexOpen)
	if open < 0 || !strings.HasSuffix(name, "]") {
		return int(^uint(0) >> 1)
	}
	i, err := strconv.Atoi(name[open+1 : len(name)-1])
	if err != nil || i < 0 {
		return int(^uint(0) >> 1)
	}
	return i
}

// upToDate reports whether the allocation runs the current job version.
func (c *evalContext) upToDate(a *structs.Allocation) bool {
	return a.Job == c.job || (a.Job != nil && a.Job.JobModifyIndex == c.job.JobModifyIndex)
}

// specChanged reports whether the group's tasks would run differently
// under the current job than under the allocation's job version, which
// needs a new allocation. Scheduling-only fields (count, constraints,
// affinities, spreads, update and reschedule policies) do not count.
func (c *evalContext) specChanged(tg *structs.TaskGroup, a *structs.Allocation) bool {
	key := specKey{old: a.Job, group: tg.Name}
	if v, ok := c.specCache[key]; ok {
		return v
	}
	changed := true
	if a.Job != nil {
		if old := lookupGroup(a.Job, tg.Name); old != nil {
			changed = !groupSpecEqual(old, tg) || !equalStringMaps(a.Job.Meta, c.job.Meta)
		}
	}
	c.specCache[key] = changed
	return changed
}

func lookupGroup(job *structs.Job, name string) *structs.TaskGroup {
	for _, tg := range job.TaskGroups {
		if tg != nil && tg.Name == name {
			return tg
		}
	}
	return nil
}

// annotateGroups gives every group of the job an entry in the plan's
// DesiredTGUpdates, so `job plan` lists groups with nothing to do too.
func (c *evalContext) annotateGroups(r *reconcileResult) {
	if c.job == nil {
		return
	}
	for _, tg := range c.job.TaskGroups {
		if tg != nil {
			r.updates(tg.Name)
		}
	}
}
