package structs

import "time"

// Defaults Canonicalize fills in, as Nomad's.
const (
	DefaultJobDatacenter      = "*"
	DefaultTaskCPU            = 100
	DefaultTaskMemoryMB       = 300
	DefaultEphemeralDiskMB    = 300
	DefaultKillTimeout        = 5 * time.Second
	DefaultLogMaxFiles        = 10
	DefaultLogMaxFileSizeMB   = 10
	DefaultNetworkMode        = "host"
	DefaultServiceProvider    = "nomad"
	DefaultSpreadWeight       = 50
	DefaultConstraintOperand  = "="
	DefaultTemplateChangeMode = "restart"
	DefaultTemplateSplay      = 5 * time.Second
	DefaultTemplatePerms      = "0644"
	DefaultParameterPayload   = "optional"
)

// Update health checks.
const (
	UpdateHealthCheckChecks     = "checks"
	UpdateHealthCheckTaskStates = "task_states"
	UpdateHealthCheckManual     = "manual"
)

// DefaultUpdateStrategy returns the defaults merged into every service or
// system group's update block when the job or group has one.
func DefaultUpdateStrategy() *UpdateStrategy {
	return &UpdateStrategy{
		Stagger:          30 * time.Second,
		MaxParallel:      1,
		HealthCheck:      UpdateHealthCheckChecks,
		MinHealthyTime:   10 * time.Second,
		HealthyDeadline:  5 * time.Minute,
		ProgressDeadline: 10 * time.Minute,
	}
}

// DefaultMigrateStrategy returns the defaults merged into every service
// group's migrate block.
func DefaultMigrateStrategy() *MigrateStrategy {
	return &MigrateStrategy{
		MaxParallel:     1,
		HealthCheck:     UpdateHealthCheckChecks,
		MinHealthyTime:  10 * time.Second,
		HealthyDeadline: 5 * time.Minute,
	}
}

// DefaultRestartPolicy returns the restart policy a group of a job of type
// jobType gets when it has none.
func DefaultRestartPolicy(jobType string) *RestartPolicy {
	switch jobType {
	case JobTypeBatch, JobTypeSysBatch:
		return &RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: RestartPolicyModeFail}
	}
	return &RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: RestartPolicyModeFail}
}

// DefaultReschedulePolicy returns the reschedule policy a group of a job of
// type jobType gets when it has none; nil for system and sysbatch jobs,
// which are never rescheduled.
func DefaultReschedulePolicy(jobType string) *ReschedulePolicy {
	switch jobType {
	case JobTypeService:
		return &ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true}
	case JobTypeBatch:
		return &ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"}
	}
	return nil
}

// Canonicalize fills in defaults so that the rest of drover never has to
// guess. It is idempotent and safe on a partially filled job; it never
// removes what the user set, except update and migrate blocks on job types
// that cannot use them.
func (j *Job) Canonicalize() {
	if j == nil {
		return
	}
	j.canonicalizeHeader()
	canonicalizeConstraints(j.Constraints)
	canonicalizeAffinities(j.Affinities)
	canonicalizeSpreads(j.Spreads)
	if j.ParameterizedJob != nil && j.ParameterizedJob.Payload == "" {
		j.ParameterizedJob.Payload = DefaultParameterPayload
	}
	if j.Periodic != nil && j.Periodic.SpecType == "" {
		j.Periodic.SpecType = "cron"
	}
	for _, tg := range j.TaskGroups {
		if tg != nil {
			tg.canonicalize(j)
		}
	}
}

func (j *Job) canonicalizeHeader() {
	setDefault(&j.Namespace, DefaultNamespace)
	setDefault(&j.Region, DefaultRegion)
	setDefault(&j.Type, JobTypeService)
	setDefault(&j.NodePool, DefaultNodePool)
	setDefault(&j.Name, j.ID)
	if j.Priority == 0 {
		j.Priority = JobDefaultPriority
	}
	if len(j.Datacenters) == 0 {
		j.Datacenters = []string{DefaultJobDatacenter}
	}
}

// setDefault sets *s to def when it is empty.
func setDefault[T comparable](s *T, def T) {
	var zero T
	if *s == zero {
		*s = def
	}
}

func canonicalizeConstraints(cs []*Constraint) {
	for _, c := range cs {
		if c != nil {
			setDefault(&c.Operand, DefaultConstraintOperand)
		}
	}
}

func canonicalizeAffinities(as []*Affinity) {
	for _, a := range as {
		if a != nil {
			setDefault(&a.Operand, DefaultConstraintOperand)
		}
	}
}

func canonicalizeSpreads(ss []*Spread) {
	for _, s := range ss {
		if s != nil {
			setDefault(&s.Weight, DefaultSpreadWeight)
		}
	}
}

func (tg *TaskGroup) canonicalize(j *Job) {
	canonicalizeConstraints(tg.Constraints)
	canonicalizeAffinities(tg.Affinities)
	canonicalizeSpreads(tg.Spreads)
	if tg.RestartPolicy == nil {
		tg.RestartPolicy = DefaultRestartPolicy(j.Type)
	}
	mergeRestart(tg.RestartPolicy, DefaultRestartPolicy(j.Type))
	tg.canonicalizeReschedule(j)
	if tg.EphemeralDisk == nil {
		tg.EphemeralDisk = &EphemeralDisk{}
	}
	setDefault(&tg.EphemeralDisk.SizeMB, DefaultEphemeralDiskMB)
	tg.canonicalizeUpdate(j)
	tg.canonicalizeMigrate(j)
	for name, v := range tg.Volumes {
		if v != nil {
			setDefault(&v.Name, name)
		}
	}
	canonicalizeNetworks(tg.Networks)
	for _, s := range tg.Services {
		canonicalizeService(s, j.Name+"-"+tg.Name)
	}
	for _, t := range tg.Tasks {
		if t != nil {
			t.canonicalize(j, tg)
		}
	}
}

// mergeRestart fills a partial restart block's unset fields from "from", as
// Nomad merges a group's block over the defaults and a task's over its
// group's. Attempts and RenderTemplates are kept: their zero values are
// meaningful. A zero delay counts as unset, so "0s" cannot be asked for.
func mergeRestart(r, from *RestartPolicy) {
	if from == nil {
		return
	}
	setDefault(&r.Interval, from.Interval)
	setDefault(&r.Delay, from.Delay)
	setDefault(&r.Mode, from.Mode)
}

// canonicalizeReschedule merges the group's reschedule block over the
// job's, and that over the job type's default; the first non-zero value of
// each field wins. Fields are value types, so the counters follow one rule:
// attempts and unlimited come from the first block that sets either of them
// or sets nothing at all (an empty block, "attempts = 0", turns rescheduling
// off); a block that sets only timing fields inherits them. A policy that
// ends up off is stored empty, which keeps Canonicalize idempotent.
func (tg *TaskGroup) canonicalizeReschedule(j *Job) {
	def := DefaultReschedulePolicy(j.Type)
	if def == nil {
		return // system jobs are not rescheduled; validation keeps what the user set
	}
	p := &ReschedulePolicy{}
	decided := false
	for _, b := range []*ReschedulePolicy{tg.ReschedulePolicy, j.Reschedule, def} {
		if b == nil {
			continue
		}
		if !decided && (b.Attempts != 0 || b.Unlimited || *b == (ReschedulePolicy{}) || b == def) {
			p.Attempts, p.Unlimited, decided = b.Attempts, b.Unlimited, true
		}
		setDefault(&p.Interval, b.Interval)
		setDefault(&p.Delay, b.Delay)
		setDefault(&p.DelayFunction, b.DelayFunction)
		setDefault(&p.MaxDelay, b.MaxDelay)
	}
	if p.Attempts == 0 && !p.Unlimited {
		p = &ReschedulePolicy{}
	} else if p.DelayFunction != "constant" {
		setDefault(&p.MaxDelay, p.Delay)
	}
	tg.ReschedulePolicy = p
}

// canonicalizeUpdate merges the job's update block into the group's and
// fills defaults. Batch jobs have no deployments, so they lose the block.
func (tg *TaskGroup) canonicalizeUpdate(j *Job) {
	if j.Type == JobTypeBatch || j.Type == JobTypeSysBatch {
		tg.Update = nil
		return
	}
	if j.Update == nil && tg.Update == nil {
		return
	}
	u := &UpdateStrategy{}
	if tg.Update != nil {
		u = tg.Update
	}
	mergeUpdate(u, j.Update)
	mergeUpdate(u, DefaultUpdateStrategy())
	tg.Update = u
}

// mergeUpdate fills u's empty fields from from.
func mergeUpdate(u, from *UpdateStrategy) {
	if from == nil {
		return
	}
	setDefault(&u.Stagger, from.Stagger)
	setDefault(&u.MaxParallel, from.MaxParallel)
	setDefault(&u.HealthCheck, from.HealthCheck)
	setDefault(&u.MinHealthyTime, from.MinHealthyTime)
	setDefault(&u.HealthyDeadline, from.HealthyDeadline)
	setDefault(&u.ProgressDeadline, from.ProgressDeadline)
	setDefault(&u.AutoRevert, from.AutoRevert)
	setDefault(&u.AutoPromote, from.AutoPromote)
	setDefault(&u.Canary, from.Canary)
}

// canonicalizeMigrate gives service groups a migrate block, merged from the
// job's and the defaults. Other job types do not migrate.
func (tg *TaskGroup) canonicalizeMigrate(j *Job) {
	if j.Type != JobTypeService {
		return
	}
	if tg.Migrate == nil {
		tg.Migrate = &MigrateStrategy{}
	}
	for _, from := range []*MigrateStrategy{j.Migrate, DefaultMigrateStrategy()} {
		if from == nil {
			continue
		}
		m := tg.Migrate
		setDefault(&m.MaxParallel, from.MaxParallel)
		setDefault(&m.HealthCheck, from.HealthCheck)
		setDefault(&m.MinHealthyTime, from.MinHealthyTime)
		setDefault(&m.HealthyDeadline, from.HealthyDeadline)
	}
}

func canonicalizeNetworks(ns []*NetworkResource) {
	for _, n := range ns {
		if n != nil {
			setDefault(&n.Mode, DefaultNetworkMode)
		}
	}
}

func canonicalizeService(s *Service, defaultName string) {
	if s == nil {
		return
	}
	setDefault(&s.Provider, DefaultServiceProvider)
	setDefault(&s.Name, defaultName)
}

func (t *Task) canonicalize(j *Job, tg *TaskGroup) {
	canonicalizeConstraints(t.Constraints)
	canonicalizeAffinities(t.Affinities)
	if t.Resources == nil {
		t.Resources = &Resources{}
	}
	if t.Resources.Cores == 0 {
		setDefault(&t.Resources.CPU, DefaultTaskCPU)
	}
	setDefault(&t.Resources.MemoryMB, DefaultTaskMemoryMB)
	canonicalizeNetworks(t.Resources.Networks)
	setDefault(&t.KillTimeout, DefaultKillTimeout)
	if t.LogConfig == nil {
		t.LogConfig = &LogConfig{}
	}
	setDefault(&t.LogConfig.MaxFiles, DefaultLogMaxFiles)
	setDefault(&t.LogConfig.MaxFileSizeMB, DefaultLogMaxFileSizeMB)
	if t.RestartPolicy == nil {
		t.RestartPolicy = copyPlain(tg.RestartPolicy)
	}
	mergeRestart(t.RestartPolicy, tg.RestartPolicy)
	for _, s := range t.Services {
		canonicalizeService(s, j.Name+"-"+tg.Name+"-"+t.Name)
	}
	for _, tmpl := range t.Templates {
		if tmpl != nil {
			canonicalizeTemplate(tmpl)
		}
	}
}

func canonicalizeTemplate(t *Template) {
	setDefault(&t.ChangeMode, DefaultTemplateChangeMode)
	setDefault(&t.Splay, DefaultTemplateSplay)
	setDefault(&t.Perms, DefaultTemplatePerms)
	setDefault(&t.LeftDelim, "{{")
	setDefault(&t.RightDelim, "}}")
}
