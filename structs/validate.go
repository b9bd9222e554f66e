package structs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	version "github.com/hashicorp/go-version"
)

// Validation limits, as Nomad's.
const (
	MaxJobIDLength          = 128
	MinTaskCPU              = 1
	MinTaskMemoryMB         = 10
	MinRestartInterval      = 5 * time.Second
	MinRescheduleDelay      = 5 * time.Second
	MinCheckInterval        = time.Second
	MinCheckTimeout         = time.Second
	maxValidPort            = 65535
	maxRescheduleDelaySteps = 64
)

// ValidationError lists every problem found in an object at once. It wraps
// ErrInvalid, so errors.Is(err, ErrInvalid) holds and the HTTP layer answers
// 400.
type ValidationError struct {
	// Object names what was validated, e.g. `job "web"`; it may be empty.
	Object string
	// Errors are the problems, each prefixed by the path of the field, e.g.
	// `group "web" task "api": resources.memory must be >= 10 (got 5)`.
	Errors []string
}

// Error lists the problems, one a line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	noun := "problems"
	if len(e.Errors) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(&b, "%d %s", len(e.Errors), noun)
	if e.Object != "" {
		b.WriteString(" in " + e.Object)
	}
	b.WriteString(":")
	for _, msg := range e.Errors {
		b.WriteString("\n  * " + msg)
	}
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// checker collects problems with their field paths.
type checker struct{ errs []string }

// addf records a problem at path ("" for the top level).
func (c *checker) addf(path, format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	c.errs = append(c.errs, msg)
}

// result returns the problems as a *ValidationError, or nil when none.
func (c *checker) result(object string) error {
	if len(c.errs) == 0 {
		return nil
	}
	return &ValidationError{Object: object, Errors: c.errs}
}

// join extends a field path.
func join(path, elem string) string {
	if path == "" {
		return elem
	}
	return path + " " + elem
}

// named is `kind "name"`, or `kind[i]` when the name is empty.
func named(kind, name string, i int) string {
	if name == "" {
		return fmt.Sprintf("%s[%d]", kind, i)
	}
	return fmt.Sprintf("%s %q", kind, name)
}

// oneOf reports whether v is one of allowed.
func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// Validate checks a canonicalized job and returns every problem it finds as
// one *ValidationError, or nil.
func (j *Job) Validate() error {
	if j == nil {
		return &ValidationError{Errors: []string{"job is missing"}}
	}
	c := &checker{}
	j.validateHeader(c)
	validateConstraints(c, "", j.Constraints, false)
	validateAffinities(c, "", j.Affinities)
	validateSpreads(c, "", j.Spreads)
	j.validatePeriodic(c)
	j.validateParameterized(c)
	j.validateGroups(c)
	return c.result(jobObject(j))
}

// jobObject names the job in a ValidationError.
func jobObject(j *Job) string {
	switch {
	case j.ID != "":
		return fmt.Sprintf("job %q", j.ID)
	case j.Name != "":
		return fmt.Sprintf("job %q", j.Name)
	}
	return "job"
}

func (j *Job) validateHeader(c *checker) {
	validateJobID(c, j.ID)
	if j.Name == "" {
		c.addf("", "name must not be empty")
	} else if strings.Contains(j.Name, "\x00") {
		c.addf("", "name %q must not contain null bytes", j.Name)
	}
	if j.Namespace == "" {
		c.addf("", "namespace must not be empty")
	} else if !namespacePattern.MatchString(j.Namespace) {
		// "*" above all: it selects every namespace in a listing, and a job
		// stored under it could not be told apart from that.
		c.addf("", "namespace %q is not a valid name: use 1 to 128 letters, digits and dashes, e.g. \"default\" (\"*\" only selects every namespace when listing)", j.Namespace)
	}
	if !oneOf(j.Type, JobTypeService, JobTypeBatch, JobTypeSystem, JobTypeSysBatch) {
		c.addf("", "type %q is unknown; allowed: service, batch, system, sysbatch", j.Type)
	}
	if j.Priority < JobMinPriority || j.Priority > JobMaxPriority {
		c.addf("", "priority must be between %d and %d (got %d)", JobMinPriority, JobMaxPriority, j.Priority)
	}
	if len(j.Datacenters) == 0 {
		c.addf("", "datacenters must list at least one datacenter (\"*\" for all)")
	}
	for i, dc := range j.Datacenters {
		if dc == "" {
			c.addf("", "datacenters[%d] must not be empty", i)
		}
	}
}

// validateJobID checks a job ID: it is used in URLs, CLI arguments and
// allocation names.
func validateJobID(c *checker, id string) {
	switch {
	case id == "":
		c.addf("", "id must not be empty")
	case strings.Contains(id, " "):
		c.addf("", "id %q must not contain spaces", id)
	case strings.Contains(id, "\x00"):
		c.addf("", "id %q must not contain null bytes", id)
	case len(id) > MaxJobIDLength:
		c.addf("", "id must be at most %d characters (got %d)", MaxJobIDLength, len(id))
	}
}

func (j *Job) isBatchLike() bool { return j.Type == JobTypeBatch || j.Type == JobTypeSysBatch }

func (j *Job) validatePeriodic(c *checker) {
	p := j.Periodic
	if p == nil || !p.Enabled {
		return // a disabled periodic block is kept but never launches, as Nomad's
	}
	if !j.isBatchLike() {
		c.addf("", "periodic is only allowed on batch and sysbatch jobs (type is %q)", j.Type)
	}
	if p.SpecType != "" && p.SpecType != "cron" {
		c.addf("", "periodic.spec_type %q is unknown; allowed: cron", p.SpecType)
	}
	specs := p.Specs
	if p.Spec != "" {
		specs = append([]string{p.Spec}, specs...)
	}
	if len(specs) == 0 {
		c.addf("", "periodic.crons must hold at least one cron expression")
	}
	for _, s := range specs {
		if msg := checkCron(s); msg != "" {
			c.addf("", "periodic cron %q %s", s, msg)
		}
	}
	if _, err := p.Location(); err != nil {
		c.addf("", "periodic.time_zone %q is not a known time zone (use an IANA name such as \"Europe/Berlin\")", p.TimeZone)
	}
}

var cronDescriptors = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

// namespacePattern is what a namespace name may be, as in Nomad.
var namespacePattern = regexp.MustCompile(`^[a-zA-Z0-9-]{1,128}$`)

var cronFieldPattern = regexp.MustCompile(`^[0-9A-Za-z*?/,#-]+$`)

// checkCron returns what is wrong with a cron expression, or "".
func checkCron(s string) string {
	if strings.HasPrefix(s, "@") {
		if oneOf(s, cronDescriptors...) {
			return ""
		}
		return "is not a known descriptor; allowed: " + strings.Join(cronDescriptors, ", ")
	}
	fields := strings.Fields(s)
	if len(fields) < 5 || len(fields) > 7 {
		return fmt.Sprintf("must have 5 to 7 fields (got %d)", len(fields))
	}
	for _, f := range fields {
		if !cronFieldPattern.MatchString(f) {
			return fmt.Sprintf("has an invalid field %q", f)
		}
	}
	if _, err := ParseCron(s); err != nil {
		return err.Error()
	}
	return ""
}

func (j *Job) validateParameterized(c *checker) {
	p := j.ParameterizedJob
	if p == nil {
		return
	}
	if !j.isBatchLike() {
		c.addf("", "parameterized is only allowed on batch and sysbatch jobs (type is %q)", j.Type)
	}
	if !oneOf(p.Payload, "optional", "required", "forbidden") {
		c.addf("", "parameterized.payload %q is unknown; allowed: optional, required, forbidden", p.Payload)
	}
	for _, k := range p.MetaRequired {
		if oneOf(k, p.MetaOptional...) {
			c.addf("", "parameterized: meta key %q is both required and optional", k)
		}
	}
}

func (j *Job) validateGroups(c *checker) {
	if len(j.TaskGroups) == 0 {
		c.addf("", "job must have at least one group")
	}
	seen := map[string]bool{}
	for i, tg := range j.TaskGroups {
		if tg == nil {
			c.addf(fmt.Sprintf("group[%d]", i), "group is missing")
			continue
		}
		path := named("group", tg.Name, i)
		if tg.Name == "" {
			c.addf(path, "name must not be empty")
		} else if seen[tg.Name] {
			c.addf(path, "name is used by another group; group names must be unique")
		}
		seen[tg.Name] = true
		tg.validate(c, j, path)
	}
}

func (tg *TaskGroup) validate(c *checker, j *Job, path string) {
	if tg.Count < 0 {
		c.addf(path, "count must be >= 0 (got %d)", tg.Count)
	}
	if (j.Type == JobTypeSystem || j.Type == JobTypeSysBatch) && tg.Count > 1 {
		c.addf(path, "count must be 0 or 1 in %s jobs, which run one allocation per node (got %d)", j.Type, tg.Count)
	}
	validateConstraints(c, path, tg.Constraints, false)
	validateAffinities(c, path, tg.Affinities)
	validateSpreads(c, path, tg.Spreads)
	validateRestart(c, path, tg.RestartPolicy)
	validateReschedule(c, path, tg.ReschedulePolicy)
	validateUpdate(c, path, tg.Update)
	validateMigrate(c, path, tg.Migrate)
	tg.validateDisk(c, path)
	tg.validateVolumes(c, path)
	labels := tg.validateNetworks(c, path)
	for i, s := range tg.Services {
		validateService(c, join(path, named("service", serviceName(s), i)), s, labels)
	}
	tg.validateTasks(c, j, path, labels)
}

func serviceName(s *Service) string {
	if s == nil {
		return ""
	}
	return s.Name
}

func (tg *TaskGroup) validateTasks(c *checker, j *Job, path string, labels map[string]bool) {
	if len(tg.Tasks) == 0 {
		c.addf(path, "group must have at least one task")
	}
	seen := map[string]bool{}
	leaders := 0
	for i, t := range tg.Tasks {
		if t == nil {
			c.addf(join(path, fmt.Sprintf("task[%d]", i)), "task is missing")
			continue
		}
		tpath := join(path, named("task", t.Name, i))
		if t.Name != "" && seen[t.Name] {
			c.addf(tpath, "name is used by another task in the group; task names must be unique")
		}
		seen[t.Name] = true
		if t.Leader {
			leaders++
		}
		t.validate(c, tg, tpath, labels)
	}
	if leaders > 1 {
		c.addf(path, "only one task may be the leader (got %d)", leaders)
	}
}

func (tg *TaskGroup) validateDisk(c *checker, path string) {
	d := tg.EphemeralDisk
	if d == nil {
		return
	}
	if d.SizeMB < 0 {
		c.addf(path, "ephemeral_disk.size must be >= 0 (got %d)", d.SizeMB)
		return
	}
	logs := 0
	for _, t := range tg.Tasks {
		if t != nil && t.LogConfig != nil && !t.LogConfig.Disabled {
			logs += t.LogConfig.MaxFiles * t.LogConfig.MaxFileSizeMB
		}
	}
	if logs > d.SizeMB {
		c.addf(path, "ephemeral_disk.size %d MB is smaller than the %d MB the tasks' logs may use "+
			"(logs.max_files x logs.max_file_size, summed over tasks); raise the size or lower the log limits", d.SizeMB, logs)
	}
}

func (tg *TaskGroup) validateVolumes(c *checker, path string) {
	for _, name := range classKeys(tg.Volumes) {
		v := tg.Volumes[name]
		vpath := join(path, fmt.Sprintf("volume %q", name))
		if v == nil {
			c.addf(vpath, "volume is missing")
			continue
		}
		if v.Type != "host" {
			c.addf(vpath, "type %q is not supported; allowed: host", v.Type)
		}
		if v.Source == "" {
			c.addf(vpath, "source must name a host volume of the client")
		}
	}
}

// validateNetworks checks the group's networks and every task's, and
// returns the port labels they declare.
func (tg *TaskGroup) validateNetworks(c *checker, path string) map[string]bool {
	if len(tg.Networks) > 1 {
		c.addf(path, "only one network block is allowed per group (got %d)", len(tg.Networks))
	}
	ports := &portChecker{c: c, labels: map[string]bool{}, static: map[int]bool{}}
	for _, n := range tg.Networks {
		ports.network(path, n)
	}
	for i, t := range tg.Tasks {
		if t != nil && t.Resources != nil {
			for _, n := range t.Resources.Networks {
				ports.network(join(path, named("task", t.Name, i)), n)
			}
		}
	}
	return ports.labels
}

// portChecker checks ports across all of a group's networks.
type portChecker struct {
	c      *checker
	labels map[string]bool
	static map[int]bool
}

func (p *portChecker) network(path string, n *NetworkResource) {
	if n == nil {
		return
	}
	if !oneOf(n.Mode, "host", "bridge", "none") && !strings.HasPrefix(n.Mode, "cni/") {
		p.c.addf(path, "network.mode %q is unknown; allowed: host, bridge, none, cni/<name>", n.Mode)
	}
	if n.MBits < 0 {
		p.c.addf(path, "network.mbits must be >= 0 (got %d)", n.MBits)
	}
	for i, port := range n.ReservedPorts {
		p.port(path, i, port, true)
	}
	for i, port := range n.DynamicPorts {
		p.port(path, i, port, false)
	}
}

func (p *portChecker) port(path string, i int, port Port, static bool) {
	ppath := join(path, "network."+named("port", port.Label, i))
	if port.Label == "" {
		p.c.addf(ppath, "label must not be empty")
	} else if p.labels[port.Label] {
		p.c.addf(ppath, "label is used by another port in the group; port labels must be unique")
	}
	p.labels[port.Label] = true
	if port.To < -1 || port.To > maxValidPort {
		p.c.addf(ppath, "to must be between -1 and %d (got %d)", maxValidPort, port.To)
	}
	if !static {
		if port.Value != 0 {
			p.c.addf(ppath, "a dynamic port must not set static (got %d); declare it as a reserved port instead", port.Value)
		}
		return
	}
	if port.Value < 1 || port.Value > maxValidPort {
		p.c.addf(ppath, "static must be between 1 and %d (got %d)", maxValidPort, port.Value)
	} else if p.static[port.Value] {
		p.c.addf(ppath, "static port %d is used by another port in the group", port.Value)
	}
	p.static[port.Value] = true
}

func validateService(c *checker, path string, s *Service, labels map[string]bool) {
	if s == nil {
		c.addf(path, "service is missing")
		return
	}
	if s.Name == "" {
		c.addf(path, "name must not be empty")
	}
	if !oneOf(s.Provider, "nomad", "consul") {
		c.addf(path, "provider %q is unknown; allowed: nomad, consul", s.Provider)
	}
	validPortLabel(c, path, "port", s.PortLabel, labels)
	for i, chk := range s.Checks {
		validateCheck(c, join(path, named("check", checkName(chk), i)), chk, labels)
	}
}

// validPortLabel checks that label is empty, a number, or a declared label.
func validPortLabel(c *checker, path, field, label string, labels map[string]bool) {
	if label == "" || labels[label] {
		return
	}
	if n, err := strconv.Atoi(label); err == nil {
		if n < 1 || n > maxValidPort {
			c.addf(path, "%s must be between 1 and %d (got %d)", field, maxValidPort, n)
		}
		return
	}
	c.addf(path, "%s %q is not a port label declared in the group's network; declared: %s",
		field, label, listOrNone(classKeys(labels)))
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

func checkName(chk *ServiceCheck) string {
	if chk == nil {
		return ""
	}
	return chk.Name
}

func validateCheck(c *checker, path string, chk *ServiceCheck, labels map[string]bool) {
	if chk == nil {
		c.addf(path, "check is missing")
		return
	}
	switch chk.Type {
	case "http":
		if chk.Path == "" {
			c.addf(path, "path must be set for http checks")
		}
	case "script":
		if chk.Command == "" {
			c.addf(path, "command must be set for script checks")
		}
	case "tcp", "grpc":
	default:
		c.addf(path, "type %q is unknown; allowed: http, tcp, grpc, script", chk.Type)
	}
	if chk.Interval < MinCheckInterval {
		c.addf(path, "interval must be at least %s (got %s)", MinCheckInterval, chk.Interval)
	}
	if chk.Timeout < MinCheckTimeout {
		c.addf(path, "timeout must be at least %s (got %s)", MinCheckTimeout, chk.Timeout)
	}
	validPortLabel(c, path, "port", chk.PortLabel, labels)
}

func (t *Task) validate(c *checker, tg *TaskGroup, path string, labels map[string]bool) {
	if t.Name == "" {
		c.addf(path, "name must not be empty")
	} else if strings.Contains(t.Name, "/") {
		c.addf(path, "name %q must not contain \"/\"", t.Name)
	}
	if t.Driver == "" {
		c.addf(path, "driver must not be empty")
	}
	validateResources(c, path, t.Resources)
	if t.KillTimeout < 0 {
		c.addf(path, "kill_timeout must be >= 0 (got %s)", t.KillTimeout)
	}
	if t.KillSignal != "" && !knownSignal(t.KillSignal) {
		c.addf(path, "kill_signal %q is unknown; use a signal name such as SIGTERM, SIGINT or SIGQUIT", t.KillSignal)
	}
	// A task inherits its group's restart policy (Canonicalize copies it):
	// report a problem in it once, at the group, not again for each task.
	if t.RestartPolicy == nil || tg.RestartPolicy == nil || *t.RestartPolicy != *tg.RestartPolicy {
		validateRestart(c, path, t.RestartPolicy)
	}
	validateLogs(c, path, t.LogConfig)
	validateLifecycle(c, path, t.Lifecycle)
	validateConstraints(c, path, t.Constraints, true)
	validateAffinities(c, path, t.Affinities)
	for i, tmpl := range t.Templates {
		validateTemplate(c, join(path, fmt.Sprintf("template[%d]", i)), tmpl)
	}
	for i, m := range t.VolumeMounts {
		validateVolumeMount(c, join(path, fmt.Sprintf("volume_mount[%d]", i)), m, tg.Volumes)
	}
	for i, s := range t.Services {
		validateService(c, join(path, named("service", serviceName(s), i)), s, labels)
	}
}

func validateResources(c *checker, path string, r *Resources) {
	if r == nil {
		return
	}
	switch {
	case r.Cores < 0:
		c.addf(path, "resources.cores must be >= 0 (got %d)", r.Cores)
	case r.Cores > 0 && r.CPU > 0:
		c.addf(path, "resources: set either cpu or cores, not both")
	case r.Cores == 0 && r.CPU < MinTaskCPU:
		c.addf(path, "resources.cpu must be >= %d (got %d)", MinTaskCPU, r.CPU)
	}
	if r.MemoryMB < MinTaskMemoryMB {
		c.addf(path, "resources.memory must be >= %d (got %d)", MinTaskMemoryMB, r.MemoryMB)
	}
	if r.MemoryMaxMB != 0 && r.MemoryMaxMB < r.MemoryMB {
		c.addf(path, "resources.memory_max must be >= memory (%d) when set (got %d)", r.MemoryMB, r.MemoryMaxMB)
	}
	if r.DiskMB < 0 {
		c.addf(path, "resources.disk must be >= 0 (got %d)", r.DiskMB)
	}
}

func validateLogs(c *checker, path string, l *LogConfig) {
	if l == nil {
		return
	}
	if l.MaxFiles < 1 {
		c.addf(path, "logs.max_files must be >= 1 (got %d)", l.MaxFiles)
	}
	if l.MaxFileSizeMB < 1 {
		c.addf(path, "logs.max_file_size must be >= 1 (got %d)", l.MaxFileSizeMB)
	}
}

func validateLifecycle(c *checker, path string, l *TaskLifecycleConfig) {
	if l != nil && !oneOf(l.Hook, "prestart", "poststart", "poststop") {
		c.addf(path, "lifecycle.hook %q is unknown; allowed: prestart, poststart, poststop", l.Hook)
	}
}

func validateTemplate(c *checker, path string, t *Template) {
	if t == nil {
		c.addf(path, "template is missing")
		return
	}
	if t.SourcePath == "" && t.EmbeddedTmpl == "" {
		c.addf(path, "set source or data")
	}
	if t.DestPath == "" {
		c.addf(path, "destination must not be empty")
	}
	switch t.ChangeMode {
	case "noop", "restart", "script":
	case "signal":
		if t.ChangeSignal == "" {
			c.addf(path, "change_signal must be set when change_mode is \"signal\"")
		}
	default:
		c.addf(path, "change_mode %q is unknown; allowed: noop, restart, signal, script", t.ChangeMode)
	}
	if t.ChangeSignal != "" && !knownSignal(t.ChangeSignal) {
		c.addf(path, "change_signal %q is unknown; use a signal name such as SIGHUP", t.ChangeSignal)
	}
	if t.Splay < 0 {
		c.addf(path, "splay must be >= 0 (got %s)", t.Splay)
	}
	if t.Perms != "" {
		if _, err := strconv.ParseUint(t.Perms, 8, 12); err != nil {
			c.addf(path, "perms %q must be an octal file mode such as \"0644\"", t.Perms)
		}
	}
}

func validateVolumeMount(c *checker, path string, m *VolumeMount, volumes map[string]*VolumeRequest) {
	if m == nil {
		c.addf(path, "volume_mount is missing")
		return
	}
	if _, ok := volumes[m.Volume]; !ok {
		c.addf(path, "volume %q is not declared in the group; declared: %s", m.Volume, listOrNone(classKeys(volumes)))
	}
	if m.Destination == "" {
		c.addf(path, "destination must not be empty")
	}
}

var knownSignals = map[string]bool{
	"SIGABRT": true, "SIGALRM": true, "SIGBUS": true, "SIGCHLD": true, "SIGCONT": true, "SIGFPE": true,
	"SIGHUP": true, "SIGILL": true, "SIGINT": true, "SIGIO": true, "SIGIOT": true, "SIGKILL": true,
	"SIGPIPE": true, "SIGPROF": true, "SIGPWR": true, "SIGQUIT": true, "SIGSEGV": true, "SIGSTOP": true,
	"SIGSYS": true, "SIGTERM": true, "SIGTRAP": true, "SIGTSTP": true, "SIGTTIN": true, "SIGTTOU": true,
	"SIGURG": true, "SIGUSR1": true, "SIGUSR2": true, "SIGVTALRM": true, "SIGWINCH": true, "SIGXCPU": true,
	"SIGXFSZ": true,
}

func knownSignal(name string) bool { return knownSignals[strings.ToUpper(name)] }

func validateRestart(c *checker, path string, r *RestartPolicy) {
	if r == nil {
		return
	}
	if !oneOf(r.Mode, RestartPolicyModeDelay, RestartPolicyModeFail) {
		c.addf(path, "restart.mode %q is unknown; allowed: delay, fail", r.Mode)
	}
	if r.Attempts < 0 {
		c.addf(path, "restart.attempts must be >= 0 (got %d)", r.Attempts)
	}
	if r.Delay < 0 {
		c.addf(path, "restart.delay must be >= 0 (got %s)", r.Delay)
	}
	if r.Attempts <= 0 {
		return
	}
	if r.Interval < MinRestartInterval {
		c.addf(path, "restart.interval must be at least %s when attempts > 0 (got %s)", MinRestartInterval, r.Interval)
	} else if time.Duration(r.Attempts)*r.Delay > r.Interval {
		c.addf(path, "restart: %d attempts with a delay of %s do not fit in an interval of %s; "+
			"raise the interval or lower attempts or delay", r.Attempts, r.Delay, r.Interval)
	}
}

func validateReschedule(c *checker, path string, p *ReschedulePolicy) {
	if p == nil {
		return
	}
	if p.Attempts < 0 || p.Interval < 0 || p.Delay < 0 || p.MaxDelay < 0 {
		c.addf(path, "reschedule: attempts, interval, delay and max_delay must be >= 0")
		return
	}
	if p.Attempts == 0 && !p.Unlimited {
		return // rescheduling is off
	}
	if p.Attempts > 0 && p.Unlimited {
		c.addf(path, "reschedule: attempts (%d) and unlimited = true are exclusive; set one of them", p.Attempts)
	}
	if p.Delay < MinRescheduleDelay {
		c.addf(path, "reschedule.delay must be at least %s (got %s)", MinRescheduleDelay, p.Delay)
	}
	if !oneOf(p.DelayFunction, "constant", "exponential", "fibonacci") {
		c.addf(path, "reschedule.delay_function %q is unknown; allowed: constant, exponential, fibonacci", p.DelayFunction)
		return
	}
	if p.DelayFunction != "constant" && p.MaxDelay < p.Delay {
		c.addf(path, "reschedule.max_delay (%s) must be >= delay (%s) with delay_function %q", p.MaxDelay, p.Delay, p.DelayFunction)
	}
	if !p.Unlimited && p.Attempts > 0 {
		validateRescheduleInterval(c, path, p)
	}
}

// validateRescheduleInterval checks that a limited policy's attempts fit in
// its interval.
func validateRescheduleInterval(c *checker, path string, p *ReschedulePolicy) {
	if p.Interval <= 0 {
		c.addf(path, "reschedule.interval must be > 0 when attempts is set (got %s)", p.Interval)
	} else if need := rescheduleMinInterval(p); p.Interval < need {
		c.addf(path, "reschedule.interval %s is too short for %d attempts with a %s delay starting at %s; it must be at least %s",
			p.Interval, p.Attempts, p.DelayFunction, p.Delay, need)
	}
}

// rescheduleMinInterval sums the delays before each attempt, saturating at
// the largest duration.
func rescheduleMinInterval(p *ReschedulePolicy) time.Duration {
	const maxDur = time.Duration(1<<63 - 1)
	var sum time.Duration
	prev, cur := time.Duration(0), p.Delay
	for i := 0; i < p.Attempts; i++ {
		d := cur
		if p.DelayFunction != "constant" && d > p.MaxDelay {
			d = p.MaxDelay
		}
		if i == maxRescheduleDelaySteps {
			// The delay has stopped growing: add the remaining attempts at once.
			left := time.Duration(p.Attempts - i)
			if d > 0 && left > (maxDur-sum)/d {
				return maxDur
			}
			return sum + left*d
		}
		if sum > maxDur-d {
			return maxDur
		}
		sum += d
		prev, cur = nextDelay(p.DelayFunction, prev, cur)
	}
	return sum
}

// nextDelay steps a delay sequence, capping at a large value on overflow.
func nextDelay(fn string, prev, cur time.Duration) (time.Duration, time.Duration) {
	const capDur = time.Duration(1 << 62)
	var next time.Duration
	switch fn {
	case "exponential":
		next = cur * 2
	case "fibonacci":
		next = prev + cur
	default:
		next = cur
	}
	if next < cur || next > capDur {
		next = capDur
	}
	return cur, next
}

func validateUpdate(c *checker, path string, u *UpdateStrategy) {
	if u == nil {
		return
	}
	if u.MaxParallel < 0 {
		c.addf(path, "update.max_parallel must be >= 0 (got %d)", u.MaxParallel)
	}
	if u.Canary < 0 {
		c.addf(path, "update.canary must be >= 0 (got %d)", u.Canary)
	}
	if u.Stagger < 0 {
		c.addf(path, "update.stagger must be >= 0 (got %s)", u.Stagger)
	}
	if !oneOf(u.HealthCheck, UpdateHealthCheckChecks, UpdateHealthCheckTaskStates, UpdateHealthCheckManual) {
		c.addf(path, "update.health_check %q is unknown; allowed: checks, task_states, manual", u.HealthCheck)
	}
	validateHealthTimes(c, path, "update", u.MinHealthyTime, u.HealthyDeadline)
	if u.ProgressDeadline < 0 {
		c.addf(path, "update.progress_deadline must be >= 0 (got %s)", u.ProgressDeadline)
	} else if u.ProgressDeadline != 0 && u.ProgressDeadline < u.HealthyDeadline {
		c.addf(path, "update.progress_deadline (%s) must be >= healthy_deadline (%s), or 0 to disable it",
			u.ProgressDeadline, u.HealthyDeadline)
	}
}

func validateMigrate(c *checker, path string, m *MigrateStrategy) {
	if m == nil {
		return
	}
	if m.MaxParallel < 0 {
		c.addf(path, "migrate.max_parallel must be >= 0 (got %d)", m.MaxParallel)
	}
	if !oneOf(m.HealthCheck, UpdateHealthCheckChecks, UpdateHealthCheckTaskStates) {
		c.addf(path, "migrate.health_check %q is unknown; allowed: checks, task_states", m.HealthCheck)
	}
	validateHealthTimes(c, path, "migrate", m.MinHealthyTime, m.HealthyDeadline)
}

func validateHealthTimes(c *checker, path, block string, minHealthy, deadline time.Duration) {
	if minHealthy < 0 {
		c.addf(path, "%s.min_healthy_time must be >= 0 (got %s)", block, minHealthy)
	}
	if deadline <= 0 {
		c.addf(path, "%s.healthy_deadline must be > 0 (got %s)", block, deadline)
	} else if minHealthy >= deadline {
		c.addf(path, "%s.min_healthy_time (%s) must be less than healthy_deadline (%s)", block, minHealthy, deadline)
	}
}

// Constraint operands other than the Constraint* constants.
var comparisonOperands = []string{"=", "==", "is", "!=", "not", "<", "<=", ">", ">="}

// affinityOperands are the operands an affinity may use.
var affinityOperands = append(append([]string{}, comparisonOperands...),
	ConstraintRegex, ConstraintVersion, ConstraintSemver,
	ConstraintSetContains, ConstraintSetContainsAll, ConstraintSetContainsAny)

// constraintOperands are the operands a constraint may use.
var constraintOperands = append(append([]string{}, affinityOperands...),
	ConstraintAttributeIsSet, ConstraintAttributeNotSet, ConstraintDistinctHosts, ConstraintDistinctProperty)

func validateConstraints(c *checker, path string, cs []*Constraint, taskLevel bool) {
	for i, con := range cs {
		cpath := join(path, fmt.Sprintf("constraint[%d]", i))
		if con == nil {
			c.addf(cpath, "constraint is missing")
			continue
		}
		if !oneOf(con.Operand, constraintOperands...) {
			c.addf(cpath, "operator %q is unknown; allowed: %s", con.Operand, strings.Join(constraintOperands, ", "))
			continue
		}
		if taskLevel && (con.Operand == ConstraintDistinctHosts || con.Operand == ConstraintDistinctProperty) {
			c.addf(cpath, "%s is only allowed on jobs and groups, not tasks", con.Operand)
		}
		checkOperands(c, cpath, con.Operand, con.LTarget, con.RTarget)
	}
}

// checkOperands checks a constraint's or affinity's targets for its operand.
func checkOperands(c *checker, path, op, l, r string) {
	switch op {
	case ConstraintDistinctHosts:
		return
	case ConstraintDistinctProperty:
		if r != "" {
			if n, err := strconv.Atoi(r); err != nil || n < 1 {
				c.addf(path, "distinct_property value must be a positive integer (got %q)", r)
			}
		}
	case ConstraintRegex:
		if _, err := regexp.Compile(r); err != nil {
			c.addf(path, "regexp %q does not compile: %v", r, err)
		}
	case ConstraintVersion, ConstraintSemver:
		if r == "" {
			c.addf(path, "value must not be empty for operator %q", op)
		} else if _, err := version.NewConstraint(r); err != nil {
			c.addf(path, "%s constraint %q does not parse: %v", op, r, err)
		}
	case "<", "<=", ">", ">=", ConstraintSetContains, ConstraintSetContainsAll, ConstraintSetContainsAny:
		if r == "" {
			c.addf(path, "value must not be empty for operator %q", op)
		}
	}
	if l == "" {
		c.addf(path, "attribute must not be empty for operator %q", op)
	}
}

func validateAffinities(c *checker, path string, as []*Affinity) {
	for i, a := range as {
		apath := join(path, fmt.Sprintf("affinity[%d]", i))
		if a == nil {
			c.addf(apath, "affinity is missing")
			continue
		}
		if a.Weight == 0 || a.Weight < -100 || a.Weight > 100 {
			c.addf(apath, "weight must be between -100 and 100 and not 0 (got %d)", a.Weight)
		}
		if !oneOf(a.Operand, affinityOperands...) {
			c.addf(apath, "operator %q is unknown; allowed: %s", a.Operand, strings.Join(affinityOperands, ", "))
			continue
		}
		checkOperands(c, apath, a.Operand, a.LTarget, a.RTarget)
	}
}

func validateSpreads(c *checker, path string, ss []*Spread) {
	for i, s := range ss {
		spath := join(path, fmt.Sprintf("spread[%d]", i))
		if s == nil {
			c.addf(spath, "spread is missing")
			continue
		}
		if s.Attribute == "" {
			c.addf(spath, "attribute must not be empty")
		}
		if s.Weight < 0 || s.Weight > 100 {
			c.addf(spath, "weight must be between 0 and 100 (got %d)", s.Weight)
		}
		validateSpreadTargets(c, spath, s.SpreadTarget)
	}
}

func validateSpreadTargets(c *checker, path string, ts []*SpreadTarget) {
	sum := 0
	seen := map[string]bool{}
	for i, t := range ts {
		if t == nil {
			c.addf(path, "target[%d] is missing", i)
			continue
		}
		switch {
		case t.Value == "":
			c.addf(path, "target[%d] value must not be empty", i)
		case seen[t.Value]:
			c.addf(path, "target %q is listed twice", t.Value)
		}
		seen[t.Value] = true
		sum += int(t.Percent)
	}
	if sum > 100 {
		c.addf(path, "target percents must sum to at most 100 (got %d)", sum)
	}
}

// Validate checks the fields a node must have to register.
func (n *Node) Validate() error {
	if n == nil {
		return &ValidationError{Errors: []string{"node is missing"}}
	}
	c := &checker{}
	if n.ID == "" {
		c.addf("", "id must not be empty")
	}
	if n.Name == "" {
		c.addf("", "name must not be empty")
	}
	if n.Datacenter == "" {
		c.addf("", "datacenter must not be empty")
	}
	if n.Status != "" && !oneOf(n.Status, NodeStatusInit, NodeStatusReady, NodeStatusDown) {
		c.addf("", "status %q is unknown; allowed: %s, %s, %s", n.Status, NodeStatusInit, NodeStatusReady, NodeStatusDown)
	}
	return c.result(fmt.Sprintf("node %q", n.ID))
}
