// Package taskenv builds a task's environment (DROVER_* variables with
// NOMAD_* aliases, ports, the task's `env` block) and interpolates
// `${...}` references in task config, env values and args.
//
// Reference forms resolved by Replace:
//
//	${NOMAD_PORT_http}, ${DROVER_ALLOC_ID}, any name in the task's env
//	${env.NAME}                  the task's env
//	${node.unique.id}, ${node.unique.name}, ${node.datacenter},
//	${node.region}, ${node.class}, ${node.pool}
//	${attr.NAME}                 node attribute
//	${meta.NAME}                 node meta
//
// Unknown references are left as written, so a typo is visible in the
// task's output rather than silently empty.
package taskenv

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/droverhq/drover/structs"
)

// Prefixes of the variables every task sees; NOMAD_ names are aliases so
// Nomad job files work unchanged.
var prefixes = []string{"DROVER_", "NOMAD_"}

// Params is what a task's environment is built from.
type Params struct {
	Alloc      *structs.Allocation
	Task       *structs.Task
	Node       *structs.Node
	Region     string
	AllocDir   string // host path of the shared alloc/ dir
	TaskDir    string
	SecretsDir string
	LocalDir   string
	// HostEnv is the client's own environment, already filtered; drivers
	// without isolation need at least PATH from it.
	HostEnv map[string]string
}

// Env is a task's built environment and interpolation context.
type Env struct {
	vars map[string]string // what the task process gets
	node map[string]string // node.*, attr.*, meta.* references
}

// agentUserVars describe the agent's user (root's HOME=/root); a task with
// a `user` does not inherit them.
var agentUserVars = map[string]bool{"HOME": true, "USER": true, "LOGNAME": true}

// Build computes the task's environment. The task's `env` block is applied
// last, each value interpolated against everything before it.
func Build(p *Params) *Env {
	e := &Env{vars: map[string]string{}, node: nodeVars(p.Node, p.Region)}
	otherUser := p.Task != nil && p.Task.User != ""
	for k, v := range p.HostEnv {
		if otherUser && agentUserVars[k] {
			continue // the driver sets the task user's own
		}
		e.vars[k] = v
	}
	for k, v := range droverVars(p) {
		for _, pre := range prefixes {
			e.vars[pre+k] = v
		}
	}
	if p.Task != nil {
		for k, v := range p.Task.Env {
			e.vars[e.Replace(k)] = e.Replace(v)
		}
	}
	return e
}

// Map returns a copy of the environment variables.
func (e *Env) Map() map[string]string {
	out := make(map[string]string, len(e.vars))
	for k, v := range e.vars {
		out[k] = v
	}
	return out
}

// droverVars are the variables without prefix, e.g. "ALLOC_ID".
func droverVars(p *Params) map[string]string {
	v := map[string]string{
		"ALLOC_DIR": p.AllocDir, "TASK_DIR": p.LocalDir, "SECRETS_DIR": p.SecretsDir,
		"REGION": p.Region,
	}
	if p.Node != nil {
		v["DC"] = p.Node.Datacenter
	}
	if a := p.Alloc; a != nil {
		v["ALLOC_ID"], v["ALLOC_NAME"], v["NAMESPACE"] = a.ID, a.Name, a.Namespace
		v["ALLOC_INDEX"] = strconv.Itoa(AllocIndex(a.Name))
		v["GROUP_NAME"], v["JOB_ID"] = a.TaskGroup, a.JobID
		if a.Job != nil {
			v["JOB_NAME"] = a.Job.Name
			if a.Job.ParentID != "" {
				v["JOB_PARENT_ID"] = a.Job.ParentID
			}
		}
		addPorts(v, a.AllocatedResources)
	}
	if t := p.Task; t != nil {
		v["TASK_NAME"] = t.Name
		addResources(v, p.Alloc, t)
		addMeta(v, p.Alloc, t)
	}
	return v
}

// addResources sets CPU_LIMIT and MEMORY_LIMIT from what was allocated,
// falling back to what the task asked for.
func addResources(v map[string]string, a *structs.Allocation, t *structs.Task) {
	var cpu, mem, memMax int64
	if t.Resources != nil {
		cpu, mem, memMax = int64(t.Resources.CPU), int64(t.Resources.MemoryMB), int64(t.Resources.MemoryMaxMB)
	}
	if a != nil && a.AllocatedResources != nil {
		if tr := a.AllocatedResources.Tasks[t.Name]; tr != nil {
			cpu, mem, memMax = tr.Cpu.CpuShares, tr.Memory.MemoryMB, tr.Memory.MemoryMaxMB
		}
	}
	v["CPU_LIMIT"] = strconv.FormatInt(cpu, 10)
	v["MEMORY_LIMIT"] = strconv.FormatInt(mem, 10)
	if memMax > 0 {
		v["MEMORY_MAX_LIMIT"] = strconv.FormatInt(memMax, 10)
	}
}

// addPorts sets PORT_, HOST_PORT_, IP_, ADDR_, HOST_IP_ and HOST_ADDR_ per
// port label. PORT_ is
// the port the task binds: the mapped `to` port when set, else the host port.
func addPorts(v map[string]string, r *structs.AllocatedResources) {
	if r == nil {
		return
	}
	for _, p := range r.Shared.Ports {
		port := p.Value
		if p.To > 0 {
			port = p.To
		}
		v["PORT_"+p.Label] = strconv.Itoa(port)
		v["HOST_PORT_"+p.Label] = strconv.Itoa(p.Value)
		v["IP_"+p.Label] = p.HostIP
		v["ADDR_"+p.Label] = fmt.Sprintf("%s:%d", p.HostIP, p.Value)
		v["HOST_IP_"+p.Label] = p.HostIP
		v["HOST_ADDR_"+p.Label] = v["ADDR_"+p.Label]
	}
}

// addMeta sets META_<key> from job, group and task meta (task wins).
func addMeta(v map[string]string, a *structs.Allocation, t *structs.Task) {
	if a != nil && a.Job != nil {
		for k, val := range a.Job.Meta {
			v["META_"+k] = val
		}
		for _, tg := range a.Job.TaskGroups {
			if tg.Name == a.TaskGroup {
				for k, val := range tg.Meta {
					v["META_"+k] = val
				}
			}
		}
	}
	for k, val := range t.Meta {
		v["META_"+k] = val
	}
}

func nodeVars(n *structs.Node, region string) map[string]string {
	v := map[string]string{"node.region": region}
	if n == nil {
		return v
	}
	v["node.unique.id"], v["node.unique.name"] = n.ID, n.Name
	v["node.datacenter"], v["node.class"], v["node.pool"] = n.Datacenter, n.NodeClass, n.NodePool
	for k, val := range n.Attributes {
		v["attr."+k] = val
	}
	for k, val := range n.Meta {
		v["meta."+k] = val
	}
	return v
}

// AllocIndex parses the index from an alloc name "job.group[3]"; -1 if none.
func AllocIndex(name string) int {
	i := strings.LastIndexByte(name, '[')
	if i < 0 || !strings.HasSuffix(name, "]") {
		return -1
	}
	n, err := strconv.Atoi(name[i+1 : len(name)-1])
	if err != nil {
		return -1
	}
	return n
}

var refRE = regexp.MustCompile(`\$\{([^{}]+)\}`)

// Replace substitutes every known ${...} reference in s.
func (e *Env) Replace(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return refRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := e.lookup(strings.TrimSpace(m[2 : len(m)-1])); ok {
			return v
		}
		return m
	})
}

func (e *Env) lookup(ref string) (string, bool) {
	if v, ok := e.node[ref]; ok {
		return v, true
	}
	if name, ok := strings.CutPrefix(ref, "env."); ok {
		v, ok := e.vars[name]
		return v, ok
	}
	v, ok := e.vars[ref]
	return v, ok
}

// ReplaceAll substitutes in each string of a list (args).
func (e *Env) ReplaceAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = e.Replace(s)
	}
	return out
}

// Config returns a copy of a driver config with every string interpolated,
// recursing into maps and lists; keys are interpolated too.
func (e *Env) Config(in map[string]interface{}) map[string]interface{} {
	if in == nil {
		return nil
	}
	out := make(map[string]interface{}, len(in))
	for k, v := range in {
		out[e.Replace(k)] = e.value(v)
	}
	return out
}

func (e *Env) value(v interface{}) interface{} {
	switch x := v.(type) {
	case string:
		return e.Replace(x)
	case []string:
		return e.ReplaceAll(x)
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, el := range x {
			out[i] = e.value(el)
		}
		return out
	case map[string]interface{}:
		return e.Config(x)
	case []map[string]interface{}:
		out := make([]map[string]interface{}, len(x))
		for i, el := range x {
			out[i] = e.Config(el)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, el := range x {
			out[e.Replace(k)] = e.Replace(el)
		}
		return out
	}
	return v
}
