package jobspec

import (
	"fmt"
	"time"

	"github.com/droverhq/drover/api"
	"github.com/hashicorp/hcl/v2"
)

var fileSchema = schema(nil, "variable:name", "locals", "job:id")

// file decodes the top level of a job file: variables, locals, one job.
func (p *parser) file(body hcl.Body) *api.Job {
	c := p.content(body, fileSchema)
	mark := len(p.diags)
	p.variables(c.Blocks.OfType("variable"))
	if p.diags[mark:].HasErrors() {
		return nil
	}
	p.locals(c.Blocks.OfType("locals"))
	if p.diags[mark:].HasErrors() {
		return nil // the job would only repeat these errors
	}
	b := p.single(c.Blocks, "job")
	if b == nil {
		if !p.diags.HasErrors() { // else a broken job block may be why
			p.add(errorf(nil, "Missing job block", `A job file must contain one job "name" { ... } block.`))
		}
		return nil
	}
	return p.job(b)
}

var jobSchema = schema(
	[]string{"region", "namespace", "type", "priority", "all_at_once", "datacenters", "node_pool", "name"},
	"constraint", "affinity", "spread", "group:name", "update", "periodic", "parameterized",
	"reschedule", "migrate")

func (p *parser) job(b *hcl.Block) *api.Job {
	c := p.content(b.Body, withMaps(b.Body, jobSchema, "meta"))
	a := c.Attributes
	j := &api.Job{ID: b.Labels[0], Name: b.Labels[0]}
	p.str(a, "name", &j.Name)
	p.str(a, "region", &j.Region)
	p.str(a, "namespace", &j.Namespace)
	p.str(a, "type", &j.Type)
	p.count(a, "priority", &j.Priority)
	p.boolean(a, "all_at_once", &j.AllAtOnce)
	p.stringList(a, "datacenters", &j.Datacenters)
	p.str(a, "node_pool", &j.NodePool)
	p.stringMap(c, "meta", &j.Meta)
	j.Constraints = p.constraints(c.Blocks)
	j.Affinities = p.affinities(c.Blocks)
	j.Spreads = p.spreads(c.Blocks)
	j.Update = p.update(p.single(c.Blocks, "update"))
	j.Periodic = p.periodic(p.single(c.Blocks, "periodic"))
	j.ParameterizedJob = p.parameterized(p.single(c.Blocks, "parameterized"))
	j.Reschedule = p.reschedule(p.single(c.Blocks, "reschedule"))
	j.Migrate = p.migrate(p.single(c.Blocks, "migrate"))
	seen := map[string]*hcl.Block{}
	for _, g := range c.Blocks.OfType("group") {
		p.unique(seen, g, "group")
		j.TaskGroups = append(j.TaskGroups, p.group(g))
	}
	p.defaultRestartAttempts(j.Type)
	return j
}

// unique reports a second labeled block with the same name.
func (p *parser) unique(seen map[string]*hcl.Block, b *hcl.Block, kind string) {
	name := b.Labels[0]
	if prev := seen[name]; prev != nil {
		p.add(errorf(b.DefRange.Ptr(), fmt.Sprintf("Duplicate %s %q", kind, name),
			fmt.Sprintf("A %s named %q was already defined at %s; names must be unique.", kind, name, prev.DefRange)))
		return
	}
	seen[name] = b
}

var groupSchema = schema(
	[]string{"count", "shutdown_delay"},
	"constraint", "affinity", "spread", "task:name", "volume:name", "restart", "reschedule",
	"ephemeral_disk", "update", "migrate", "network", "service")

func (p *parser) group(b *hcl.Block) *api.TaskGroup {
	c := p.content(b.Body, withMaps(b.Body, groupSchema, "meta"))
	a := c.Attributes
	one := 1
	g := &api.TaskGroup{Name: b.Labels[0], Count: &one}
	p.count(a, "count", g.Count)
	var delay time.Duration
	if p.duration(a, "shutdown_delay", &delay) {
		g.ShutdownDelay = &delay
	}
	p.stringMap(c, "meta", &g.Meta)
	g.Constraints = p.constraints(c.Blocks)
	g.Affinities = p.affinities(c.Blocks)
	g.Spreads = p.spreads(c.Blocks)
	g.RestartPolicy = p.restart(p.single(c.Blocks, "restart"))
	g.ReschedulePolicy = p.reschedule(p.single(c.Blocks, "reschedule"))
	g.EphemeralDisk = p.ephemeralDisk(p.single(c.Blocks, "ephemeral_disk"))
	g.Update = p.update(p.single(c.Blocks, "update"))
	g.Migrate = p.migrate(p.single(c.Blocks, "migrate"))
	if n := p.network(p.single(c.Blocks, "network")); n != nil {
		g.Networks = []*api.NetworkResource{n}
	}
	g.Services = p.services(c.Blocks)
	g.Volumes = p.volumes(c.Blocks.OfType("volume"))
	seen := map[string]*hcl.Block{}
	for _, t := range c.Blocks.OfType("task") {
		p.unique(seen, t, "task")
		g.Tasks = append(g.Tasks, p.task(t))
	}
	return g
}

var volumeSchema = schema([]string{"type", "source", "read_only"})

func (p *parser) volumes(blocks hcl.Blocks) map[string]*api.VolumeRequest {
	if len(blocks) == 0 {
		return nil
	}
	out := map[string]*api.VolumeRequest{}
	seen := map[string]*hcl.Block{}
	for _, b := range blocks {
		p.unique(seen, b, "volume")
		a := p.content(b.Body, volumeSchema).Attributes
		v := &api.VolumeRequest{Name: b.Labels[0]}
		p.str(a, "type", &v.Type)
		p.str(a, "source", &v.Source)
		p.boolean(a, "read_only", &v.ReadOnly)
		out[v.Name] = v
	}
	return out
}
