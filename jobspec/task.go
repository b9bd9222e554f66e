package jobspec

import (
	"github.com/droverhq/drover/api"
	"github.com/hashicorp/hcl/v2"
)

var taskSchema = schema(
	[]string{"driver", "user", "kill_timeout", "kill_signal", "leader", "shutdown_delay"},
	"resources", "restart", "logs", "template", "volume_mount", "lifecycle", "service",
	"constraint", "affinity")

func (p *parser) task(b *hcl.Block) *api.Task {
	c := p.content(b.Body, withMaps(b.Body, taskSchema, "meta", "env", "config"))
	a := c.Attributes
	t := &api.Task{Name: b.Labels[0]}
	p.str(a, "driver", &t.Driver)
	p.str(a, "user", &t.User)
	p.duration(a, "kill_timeout", &t.KillTimeout)
	p.str(a, "kill_signal", &t.KillSignal)
	p.boolean(a, "leader", &t.Leader)
	p.duration(a, "shutdown_delay", &t.ShutdownDelay)
	p.stringMap(c, "meta", &t.Meta)
	p.stringMap(c, "env", &t.Env)
	t.Config = p.config(c)
	t.Resources = p.resources(p.single(c.Blocks, "resources"))
	t.RestartPolicy = p.restart(p.single(c.Blocks, "restart"))
	t.LogConfig = p.logs(p.single(c.Blocks, "logs"))
	t.Lifecycle = p.lifecycle(p.single(c.Blocks, "lifecycle"))
	t.Services = p.services(c.Blocks)
	t.Constraints = p.constraints(c.Blocks)
	t.Affinities = p.affinities(c.Blocks)
	for _, tb := range c.Blocks.OfType("template") {
		t.Templates = append(t.Templates, p.template(tb))
	}
	for _, vb := range c.Blocks.OfType("volume_mount") {
		t.VolumeMounts = append(t.VolumeMounts, p.volumeMount(vb))
	}
	return t
}

// config decodes the free-form driver configuration.
func (p *parser) config(c *hcl.BodyContent) map[string]interface{} {
	if a := c.Attributes["config"]; a != nil {
		v, ok := p.goValue(a.Expr)
		m, isMap := v.(map[string]interface{})
		if ok && !isMap && v != nil {
			p.add(errorf(a.Expr.Range().Ptr(), "Incorrect attribute value type",
				`Inappropriate value for attribute "config": an object is required.`))
		}
		return m
	}
	b := p.single(c.Blocks, "config")
	if b == nil {
		return nil
	}
	return p.freeForm(b.Body, b.DefRange)
}

var resourcesSchema = schema([]string{"cpu", "cores", "memory", "memory_max", "disk"}, "network")

func (p *parser) resources(b *hcl.Block) *api.Resources {
	if b == nil {
		return nil
	}
	c := p.content(b.Body, resourcesSchema)
	a := c.Attributes
	r := &api.Resources{}
	p.count(a, "cpu", &r.CPU)
	p.count(a, "cores", &r.Cores)
	p.count(a, "memory", &r.MemoryMB)
	p.count(a, "memory_max", &r.MemoryMaxMB)
	p.count(a, "disk", &r.DiskMB)
	if n := p.network(p.single(c.Blocks, "network")); n != nil {
		r.Networks = []*api.NetworkResource{n}
	}
	return r
}

var logsSchema = schema([]string{"max_files", "max_file_size", "disabled"})

func (p *parser) logs(b *hcl.Block) *api.LogConfig {
	if b == nil {
		return nil
	}
	a := p.content(b.Body, logsSchema).Attributes
	l := &api.LogConfig{}
	p.count(a, "max_files", &l.MaxFiles)
	p.count(a, "max_file_size", &l.MaxFileSizeMB)
	p.boolean(a, "disabled", &l.Disabled)
	return l
}

var templateSchema = schema([]string{"source", "destination", "data", "change_mode", "change_signal",
	"splay", "perms", "left_delimiter", "right_delimiter", "env"})

func (p *parser) template(b *hcl.Block) *api.Template {
	a := p.content(b.Body, templateSchema).Attributes
	t := &api.Template{}
	p.str(a, "source", &t.SourcePath)
	p.str(a, "destination", &t.DestPath)
	p.str(a, "data", &t.EmbeddedTmpl)
	p.str(a, "change_mode", &t.ChangeMode)
	p.str(a, "change_signal", &t.ChangeSignal)
	p.duration(a, "splay", &t.Splay)
	p.str(a, "perms", &t.Perms)
	p.str(a, "left_delimiter", &t.LeftDelim)
	p.str(a, "right_delimiter", &t.RightDelim)
	p.boolean(a, "env", &t.Envvars)
	return t
}

var volumeMountSchema = schema([]string{"volume", "destination", "read_only"})

func (p *parser) volumeMount(b *hcl.Block) *api.VolumeMount {
	a := p.content(b.Body, volumeMountSchema).Attributes
	m := &api.VolumeMount{}
	p.str(a, "volume", &m.Volume)
	p.str(a, "destination", &m.Destination)
	p.boolean(a, "read_only", &m.ReadOnly)
	return m
}

var lifecycleSchema = schema([]string{"hook", "sidecar"})

func (p *parser) lifecycle(b *hcl.Block) *api.TaskLifecycleConfig {
	if b == nil {
		return nil
	}
	a := p.content(b.Body, lifecycleSchema).Attributes
	l := &api.TaskLifecycleConfig{}
	p.str(a, "hook", &l.Hook)
	p.boolean(a, "sidecar", &l.Sidecar)
	return l
}
