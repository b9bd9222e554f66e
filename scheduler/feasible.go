package scheduler

import (
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/droverhq/drover/structs"
)

// Filter reasons recorded in AllocMetric.ConstraintFiltered besides
// constraint texts.
const (
	filterNotReady      = "node not ready"
	filterDrivers       = "missing drivers"
	filterHostVolumes   = "missing compatible host volumes"
	filterDistinctHosts = structs.ConstraintDistinctHosts
)

// batchLimit is how many fitting nodes a batch placement scores: two random
// choices already land close to the best, at half the work of more.
const batchLimit = 2

// jobScope is the nodes the job may use at all: in its node pool and
// datacenters. Nodes outside it are not evaluated, as in Nomad, so that the
// failure report speaks only of nodes that matter.
type jobScope struct {
	nodes       []*structs.Node
	inPool      int
	availableDC map[string]int // ready nodes per datacenter
}

// scopeOf computes the job's scope once per attempt.
func (c *evalContext) scopeOf() *jobScope {
	if c.scope != nil {
		return c.scope
	}
	sc := &jobScope{availableDC: map[string]int{}}
	// Every datacenter the job names literally is listed, even with no ready
	// node, so a failure report can say "no nodes are available in dc9".
	for _, dc := range c.job.Datacenters {
		if !strings.ContainsAny(dc, "*?[") {
			sc.availableDC[dc] = 0
		}
	}
	dcOK := map[string]bool{} // glob matches cached per datacenter name
	for _, n := range c.s.state.Nodes() {
		if !poolMatches(c.job.NodePool, n) {
			continue
		}
		sc.inPool++
		ok, seen := dcOK[n.Datacenter]
		if !seen {
			ok = datacenterMatches(c.job.Datacenters, n.Datacenter)
			dcOK[n.Datacenter] = ok
		}
		if !ok {
			continue
		}
		sc.nodes = append(sc.nodes, n)
		if n.Ready() {
			sc.availableDC[n.Datacenter]++
		}
	}
	c.scope = sc
	return sc
}

// poolMatches: a job with no pool or the "all" pool may use any node; a node
// with no pool is in the default pool.
func poolMatches(jobPool string, n *structs.Node) bool {
	return jobPool == "" || jobPool == "all" || jobPool == nodePool(n)
}

func nodePool(n *structs.Node) string {
	if n.NodePool == "" {
		return structs.DefaultNodePool
	}
	return n.NodePool
}

// datacenterMatches: no datacenters means all; entries are globs ("dc*").
func datacenterMatches(dcs []string, dc string) bool {
	if len(dcs) == 0 {
		return true
	}
	for _, pattern := range dcs {
		if ok, err := path.Match(pattern, dc); ok && err == nil {
			return true
		}
	}
	return false
}

// candidate is a feasible node for one group, with its static affinity.
type candidate struct {
	node     *structs.Node
	affinity float64
	usage    *nodeUsage // cached on first look: saves a map lookup per score
	// bucket holds the candidates with the same spread values (the
	// group's only bucket when it has no spreads).
	bucket *spreadBucket
	// binPack caches the node's bin-pack score for this group's ask while
	// its usage stays at version binPackVer (the ask never changes).
	binPack    float64
	binPackVer int
	// meta is the node's last score report, valid while its usage stays
	// at version metaVer (see scoreMeta).
	meta    *structs.NodeScoreMeta
	metaVer int
	// preempt caches the node's eviction set (see preemptFor).
	preempt *preemptPlan
}

// distinctProp tracks a distinct_property constraint: how many of the
// job's (or group's) allocations sit on nodes with each property value.
type distinctProp struct {
	con    *structs.Constraint
	group  string // "" for a job-level constraint
	limit  int
	counts map[string]int
}

// groupState is one task group's placement state within an attempt.
type groupState struct {
	c     *evalContext
	tg    *structs.TaskGroup
	index int // position in job.TaskGroups

	// Static constraints, job+group+task: classCons depend only on fields
	// in the node's computed class, uniqueCons on unique ones (node ID,
	// name, unique.* attributes and meta).
	classCons     []*structs.Constraint
	uniqueCons    []*structs.Constraint
	classCache    map[string]string // computed class -> checkClass result
	affinities    []*structs.Affinity
	affinityTotal float64 // sum of |weight|, to normalize to [-1, 1]
	drivers       []string
	volumes       []*structs.VolumeRequest
	distinctJob   bool // job-level distinct_hosts
	distinctGroup bool // group-level distinct_hosts
	props         []*distinctProp
	spreads       []*spreadTracker
	spreadWeight  float64

	ask          structs.ComparableResources
	hasPorts     bool
	staticPorts  []int
	dynamicPorts int

	built bool
	// buckets hold the feasible nodes still worth scoring, by spread
	// values (spread.go); bucketOrder is rankBuckets' scratch slice.
	buckets     []*spreadBucket
	bucketOrder []*spreadBucket
	// top holds the best scores of the last selectNode, best first.
	top  [scoreMetaNodes]nodeScore
	nTop int
	// exhaustedCands are candidates removed for lack of resources, where
	// preemption may still make room; noPreemption records that none can.
	exhaustedCands []*candidate
	noPreemption   bool

	metric      *structs.AllocMetric // static filtering, shared read-only by placed allocs
	failures    int
	exhausted   int
	dimensions  map[string]int
	classExh    map[string]int
	dynFiltered map[string]int // distinct_* filtering during placement
}

// group returns the group's state, collecting its asks on first use.
func (c *evalContext) group(tg *structs.TaskGroup) *groupState {
	if gs, ok := c.groups[tg.Name]; ok {
		return gs
	}
	gs := &groupState{c: c, tg: tg, index: c.groupIndex[tg.Name], dimensions: map[string]int{}, classExh: map[string]int{}, dynFiltered: map[string]int{}}
	gs.collectConstraints()
	gs.collectSpreads()
	gs.collectAsks()
	c.groups[tg.Name] = gs
	return gs
}

// collectConstraints sorts the job's, group's and tasks' constraints into
// static checks and placement-time distinct_* checks.
func (gs *groupState) collectConstraints() {
	job, tg := gs.c.job, gs.tg
	add := func(cons []*structs.Constraint, level string) {
		for _, con := range cons {
			if con == nil {
				continue // validation rejects these; never panic on them
			}
			switch con.Operand {
			case structs.ConstraintDistinctHosts:
				if enabled, err := strconv.ParseBool(con.RTarget); err == nil && !enabled {
					continue
				}
				if level == "job" {
					gs.distinctJob = true
				} else {
					gs.distinctGroup = true
				}
			case structs.ConstraintDistinctProperty:
				if level == "job" {
					gs.props = append(gs.props, gs.c.jobProp(con))
				} else {
					gs.props = append(gs.props, newDistinctProp(con, tg.Name))
				}
			default:
				if escapesClass(con.LTarget) || escapesClass(con.RTarget) {
					gs.c.escaped = true
					gs.uniqueCons = append(gs.uniqueCons, con)
				} else {
					gs.classCons = append(gs.classCons, con)
				}
			}
		}
	}
	add(job.Constraints, "job")
	add(tg.Constraints, "group")
	all := append(append([]*structs.Affinity(nil), job.Affinities...), tg.Affinities...)
	seen := map[string]bool{}
	for _, t := range tg.Tasks {
		if t == nil {
			continue
		}
		add(t.Constraints, "task")
		all = append(all, t.Affinities...)
		if !seen[t.Driver] {
			seen[t.Driver] = true
			gs.drivers = append(gs.drivers, t.Driver)
		}
	}
	for _, a := range all {
		if a != nil && a.Weight != 0 {
			gs.affinities = append(gs.affinities, a)
			gs.affinityTotal += math.Abs(float64(a.Weight))
		}
	}
	for _, p := range gs.props {
		if escapesClass(p.con.LTarget) {
			gs.c.escaped = true
		}
	}
	for _, name := range sortedKeys(tg.Volumes) {
		if v := tg.Volumes[name]; v != nil && (v.Type == "" || v.Type == "host") {
			gs.volumes = append(gs.volumes, v)
		}
	}
}

func newDistinctProp(con *structs.Constraint, group string) *distinctProp {
	limit := 1
	if n, err := strconv.Atoi(con.RTarget); err == nil && n > 0 {
		limit = n
	}
	return &distinctProp{con: con, group: group, limit: limit}
}

// jobProp returns the shared tracker of a job-level distinct_property, so
// every group's placements count against one limit.
func (c *evalContext) jobProp(con *structs.Constraint) *distinctProp {
	for _, p := range c.jobProps {
		if p.con == con {
			return p
		}
	}
	p := newDistinctProp(con, "")
	c.jobProps = append(c.jobProps, p)
	return p
}

// checkSpec says why the node cannot run the group at all (drivers,
// volumes, constraints), or "". It ignores the node's readiness, so that it
// also answers "may an existing alloc stay here". The checks run in a fixed
// order, class-level ones first, so the reason named is the same whether
// or not the class cache answered.
func (gs *groupState) checkSpec(n *structs.Node) string {
	if r := gs.checkClassCached(n); r != "" {
		return r
	}
	for _, con := range gs.uniqueCons {
		if !gs.c.cons.matches(con.LTarget, con.Operand, con.RTarget, n) {
			return constraintKey(con)
		}
	}
	return ""
}

// checkClassCached answers checkClass once per computed class: nodes of
// one class agree on every field those checks read (structs.ComputeClass
// hashes datacenter, class, pool, non-unique attributes and meta, drivers
// and host volumes). Nodes without a class are checked one by one.
func (gs *groupState) checkClassCached(n *structs.Node) string {
	if n.ComputedClass == "" || gs.c.s.noClassCache {
		return gs.checkClass(n)
	}
	if r, ok := gs.classCache[n.ComputedClass]; ok {
		return r
	}
	if gs.classCache == nil {
		gs.classCache = map[string]string{}
	}
	r := gs.checkClass(n)
	gs.classCache[n.ComputedClass] = r
	return r
}

// checkClass runs the checks that depend only on the node's class: drivers,
// host volumes and constraints on non-unique targets.
func (gs *groupState) checkClass(n *structs.Node) string {
	for _, d := range gs.drivers {
		if !driverHealthy(n, d) {
			return filterDrivers
		}
	}
	for _, v := range gs.volumes {
		hv := n.HostVolumes[v.Source]
		if hv == nil || (hv.ReadOnly && !v.ReadOnly) {
			return filterHostVolumes
		}
	}
	for _, con := range gs.classCons {
		if !gs.c.cons.matches(con.LTarget, con.Operand, con.RTarget, n) {
			return constraintKey(con)
		}
	}
	return ""
}

// driverHealthy: the client fingerprinted the driver as detected and
// healthy, or (older clients) set the attribute driver.<name>.
func driverHealthy(n *structs.Node, driver string) bool {
	if d, ok := n.Drivers[driver]; ok && d != nil {
		return d.Detected && d.Healthy
	}
	v, ok := n.Attributes["driver."+driver]
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

// build runs the static feasibility chain over the job's nodes once, and
// shuffles the feasible ones into the candidate buckets.
func (gs *groupState) build() {
	gs.built = true
	sc := gs.c.scopeOf()
	m := &structs.AllocMetric{
		NodesInPool: sc.inPool, NodesAvailable: sc.availableDC,
		ConstraintFiltered: map[string]int{}, ClassFiltered: map[string]int{},
	}
	var cands []*candidate
	for _, n := range sc.nodes {
		m.NodesEvaluated++
		reason := filterNotReady
		if n.Ready() {
			reason = gs.checkSpec(n)
			if n.ComputedClass != "" {
				gs.c.classEligible[n.ComputedClass] = gs.c.classEligible[n.ComputedClass] || reason == ""
			}
		}
		if reason != "" {
			m.NodesFiltered++
			m.ConstraintFiltered[reason]++
			if n.NodeClass != "" && reason != filterNotReady {
				m.ClassFiltered[n.NodeClass]++
			}
			continue
		}
		cands = append(cands, &candidate{node: n, affinity: gs.affinityScore(n), binPackVer: -1})
	}
	gs.metric = m
	rng := gs.c.s.rng
	rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	gs.initProps()
	gs.bucketCandidates(cands)
}

// affinityScore is the node's weighted affinity match, in [-1, 1].
func (gs *groupState) affinityScore(n *structs.Node) float64 {
	if gs.affinityTotal == 0 {
		return 0
	}
	var s float64
	for _, a := range gs.affinities {
		if gs.c.cons.matches(a.LTarget, a.Operand, a.RTarget, n) {
			s += float64(a.Weight)
		}
	}
	return s / gs.affinityTotal
}

// initProps counts the job's live allocations per property value, once
// per tracker (job-level trackers are shared between groups).
func (gs *groupState) initProps() {
	for _, p := range gs.props {
		if p.counts != nil {
			continue
		}
		p.counts = map[string]int{}
		for _, a := range gs.c.jobAllocs {
			if a.TerminalStatus() || gs.c.stopped[a.ID] || (p.group != "" && a.TaskGroup != p.group) {
				continue
			}
			if n := gs.c.node(a.NodeID); n != nil {
				if v, ok := resolveTarget(p.con.LTarget, n); ok {
					p.counts[v]++
				}
			}
		}
	}
}
