package api

import "time"

// Job types.
const (
	JobTypeService  = "service"
	JobTypeBatch    = "batch"
	JobTypeSystem   = "system"
	JobTypeSysBatch = "sysbatch"
)

// Job statuses, derived from the job's allocations and evaluations.
const (
	JobStatusPending = "pending"
	JobStatusRunning = "running"
	JobStatusDead    = "dead"
)

// Defaults applied by Canonicalize.
const (
	DefaultNamespace   = "default"
	DefaultRegion      = "global"
	DefaultDatacenter  = "dc1"
	DefaultNodePool    = "default"
	JobDefaultPriority = 50
	JobMinPriority     = 1
	JobMaxPriority     = 100
)

// Job is the unit a user submits: a named, versioned set of task groups.
type Job struct {
	Region      string
	Namespace   string
	ID          string
	ParentID    string
	Name        string
	Type        string
	Priority    int
	AllAtOnce   bool
	Datacenters []string
	NodePool    string
	Constraints []*Constraint
	Affinities  []*Affinity
	Spreads     []*Spread
	TaskGroups  []*TaskGroup
	Update      *UpdateStrategy
	Periodic    *PeriodicConfig
	// ParameterizedJob makes the job a template for `job dispatch`.
	ParameterizedJob *ParameterizedJobConfig
	Reschedule       *ReschedulePolicy
	Migrate          *MigrateStrategy
	Meta             map[string]string
	// Payload is a dispatched child's input (job dispatch), and
	// DispatchIdempotencyToken the token it was dispatched with.
	Payload                  []byte `json:",omitempty"`
	DispatchIdempotencyToken string `json:",omitempty"`

	// Stop marks a job the user stopped; its allocations are stopped but the
	// job and its history are kept until purged.
	Stop              bool
	Status            string
	StatusDescription string
	Stable            bool
	Version           uint64
	SubmitTime        int64
	CreateIndex       uint64
	ModifyIndex       uint64
	// JobModifyIndex changes only when the specification changes.
	JobModifyIndex uint64
}

// TaskGroup is a set of tasks placed together on one node; each placed
// instance is an Allocation.
type TaskGroup struct {
	Name             string
	Count            *int `json:",omitempty"`
	Constraints      []*Constraint
	Affinities       []*Affinity
	Spreads          []*Spread
	Tasks            []*Task
	RestartPolicy    *RestartPolicy
	ReschedulePolicy *ReschedulePolicy
	EphemeralDisk    *EphemeralDisk
	Update           *UpdateStrategy
	Migrate          *MigrateStrategy
	Networks         []*NetworkResource
	Services         []*Service
	Volumes          map[string]*VolumeRequest
	Meta             map[string]string
	ShutdownDelay    *time.Duration `json:",omitempty"`
}

// Task is one process run by a driver.
type Task struct {
	Name          string
	Driver        string
	User          string
	Config        map[string]interface{}
	Env           map[string]string
	Services      []*Service
	Constraints   []*Constraint
	Affinities    []*Affinity
	Resources     *Resources
	RestartPolicy *RestartPolicy
	Meta          map[string]string
	KillTimeout   time.Duration
	KillSignal    string
	LogConfig     *LogConfig
	Templates     []*Template
	VolumeMounts  []*VolumeMount
	Lifecycle     *TaskLifecycleConfig
	Leader        bool
	ShutdownDelay time.Duration
}

// Constraint operands.
const (
	ConstraintDistinctHosts    = "distinct_hosts"
	ConstraintDistinctProperty = "distinct_property"
	ConstraintRegex            = "regexp"
	ConstraintVersion          = "version"
	ConstraintSemver           = "semver"
	ConstraintSetContains      = "set_contains"
	ConstraintSetContainsAll   = "set_contains_all"
	ConstraintSetContainsAny   = "set_contains_any"
	ConstraintAttributeIsSet   = "is_set"
	ConstraintAttributeNotSet  = "is_not_set"
)

// Constraint restricts the nodes a job, group or task may be placed on.
type Constraint struct {
	LTarget string // left-hand side, usually an interpolated node attribute
	RTarget string // right-hand side, a literal
	Operand string // one of =, !=, <, <=, >, >=, or the Constraint* operands
}

// Affinity expresses a weighted preference for nodes.
type Affinity struct {
	LTarget string
	RTarget string
	Operand string
	Weight  int8 // -100..100, not 0
}

// Spread spreads allocations across the values of a node attribute.
type Spread struct {
	Attribute    string
	Weight       int8
	SpreadTarget []*SpreadTarget
}

// SpreadTarget is the desired share of allocations for one attribute value.
type SpreadTarget struct {
	Value   string
	Percent uint8
}

// Restart policy modes.
const (
	RestartPolicyModeDelay = "delay"
	RestartPolicyModeFail  = "fail"
)

// RestartPolicy says how a client restarts a failed task in place.
type RestartPolicy struct {
	Attempts        int
	Interval        time.Duration
	Delay           time.Duration
	Mode            string
	RenderTemplates bool
}

// ReschedulePolicy says how the servers replace a failed allocation on
// another node.
type ReschedulePolicy struct {
	Attempts      int
	Interval      time.Duration
	Delay         time.Duration
	DelayFunction string // constant, exponential, fibonacci
	MaxDelay      time.Duration
	Unlimited     bool
}

// UpdateStrategy controls rolling updates and canaries.
type UpdateStrategy struct {
	Stagger          time.Duration
	MaxParallel      int
	HealthCheck      string // checks, task_states, manual
	MinHealthyTime   time.Duration
	HealthyDeadline  time.Duration
	ProgressDeadline time.Duration
	AutoRevert       bool
	AutoPromote      bool
	Canary           int
}

// MigrateStrategy controls how allocations leave a draining node.
type MigrateStrategy struct {
	MaxParallel     int
	HealthCheck     string
	MinHealthyTime  time.Duration
	HealthyDeadline time.Duration
}

// PeriodicConfig launches a job on a cron schedule.
type PeriodicConfig struct {
	Enabled         bool
	Spec            string
	Specs           []string
	SpecType        string
	ProhibitOverlap bool
	TimeZone        string
}

// ParameterizedJobConfig makes a job dispatchable.
type ParameterizedJobConfig struct {
	Payload      string // optional, required, forbidden
	MetaRequired []string
	MetaOptional []string
}

// EphemeralDisk is the group's scratch space on the node.
type EphemeralDisk struct {
	Sticky  bool
	SizeMB  int
	Migrate bool
}

// LogConfig bounds a task's captured logs.
type LogConfig struct {
	MaxFiles      int
	MaxFileSizeMB int
	Disabled      bool
}

// Template renders a file into the task directory.
type Template struct {
	SourcePath   string
	DestPath     string
	EmbeddedTmpl string
	ChangeMode   string
	ChangeSignal string
	Splay        time.Duration
	Perms        string
	LeftDelim    string
	RightDelim   string
	Envvars      bool
}

// VolumeRequest asks for a volume the group's tasks can mount.
type VolumeRequest struct {
	Name     string
	Type     string // host
	Source   string
	ReadOnly bool
}

// VolumeMount mounts a group volume into a task.
type VolumeMount struct {
	Volume      string
	Destination string
	ReadOnly    bool
}

// TaskLifecycleConfig orders tasks within a group.
type TaskLifecycleConfig struct {
	Hook    string // prestart, poststart, poststop
	Sidecar bool
}

// Service registers a task or group in service discovery.
type Service struct {
	Name      string
	TaskName  string
	PortLabel string
	Tags      []string
	Provider  string
	Checks    []*ServiceCheck
	Meta      map[string]string
}

// ServiceCheck is a health check of a service.
type ServiceCheck struct {
	Name      string
	Type      string // http, tcp, script
	Path      string
	Protocol  string
	PortLabel string
	Command   string
	Args      []string
	Interval  time.Duration
	Timeout   time.Duration
}
