package jobspec

import (
	"github.com/droverhq/drover/api"
	"github.com/hashicorp/hcl/v2"
)

var (
	restartSchema    = schema([]string{"attempts", "interval", "delay", "mode", "render_templates"})
	rescheduleSchema = schema([]string{"attempts", "interval", "delay", "delay_function", "max_delay", "unlimited"})
	updateSchema     = schema([]string{"max_parallel", "health_check", "min_healthy_time", "healthy_deadline",
		"progress_deadline", "auto_revert", "auto_promote", "canary", "stagger"})
	migrateSchema       = schema([]string{"max_parallel", "health_check", "min_healthy_time", "healthy_deadline"})
	periodicSchema      = schema([]string{"cron", "crons", "prohibit_overlap", "time_zone", "enabled"})
	parameterizedSchema = schema([]string{"payload", "meta_required", "meta_optional"})
	ephemeralDiskSchema = schema([]string{"sticky", "size", "migrate"})
)

func (p *parser) restart(b *hcl.Block) *api.RestartPolicy {
	if b == nil {
		return nil
	}
	a := p.content(b.Body, restartSchema).Attributes
	r := &api.RestartPolicy{}
	if _, ok := a["attempts"]; !ok {
		p.noAttempts = append(p.noAttempts, r)
	}
	p.count(a, "attempts", &r.Attempts)
	p.duration(a, "interval", &r.Interval)
	p.duration(a, "delay", &r.Delay)
	p.str(a, "mode", &r.Mode)
	p.boolean(a, "render_templates", &r.RenderTemplates)
	return r
}

// defaultRestartAttempts fills `attempts` of restart blocks that left it
// out: 3 for batch and sysbatch jobs, 2 otherwise (the server's defaults for
// a missing restart block).
func (p *parser) defaultRestartAttempts(jobType string) {
	attempts := 2
	if jobType == "batch" || jobType == "sysbatch" {
		attempts = 3
	}
	for _, r := range p.noAttempts {
		r.Attempts = attempts
	}
}

func (p *parser) reschedule(b *hcl.Block) *api.ReschedulePolicy {
	if b == nil {
		return nil
	}
	a := p.content(b.Body, rescheduleSchema).Attributes
	r := &api.ReschedulePolicy{}
	p.count(a, "attempts", &r.Attempts)
	p.duration(a, "interval", &r.Interval)
	p.duration(a, "delay", &r.Delay)
	p.str(a, "delay_function", &r.DelayFunction)
	p.duration(a, "max_delay", &r.MaxDelay)
	p.boolean(a, "unlimited", &r.Unlimited)
	return r
}

func (p *parser) update(b *hcl.Block) *api.UpdateStrategy {
	if b == nil {
		return nil
	}
	a := p.content(b.Body, updateSchema).Attributes
	u := &api.UpdateStrategy{}
	p.count(a, "max_parallel", &u.MaxParallel)
	p.str(a, "health_check", &u.HealthCheck)
	p.duration(a, "min_healthy_time", &u.MinHealthyTime)
	p.duration(a, "healthy_deadline", &u.HealthyDeadline)
	p.duration(a, "progress_deadline", &u.ProgressDeadline)
	p.boolean(a, "auto_revert", &u.AutoRevert)
	p.boolean(a, "auto_promote", &u.AutoPromote)
	p.count(a, "canary", &u.Canary)
	p.duration(a, "stagger", &u.Stagger)
	return u
}

func (p *parser) migrate(b *hcl.Block) *api.MigrateStrategy {
	if b == nil {
		return nil
	}
	a := p.content(b.Body, migrateSchema).Attributes
	m := &api.MigrateStrategy{}
	p.count(a, "max_parallel", &m.MaxParallel)
	p.str(a, "health_check", &m.HealthCheck)
	p.duration(a, "min_healthy_time", &m.MinHealthyTime)
	p.duration(a, "healthy_deadline", &m.HealthyDeadline)
	return m
}

// periodic decodes a periodic block; enabled defaults to true, as in Nomad.
func (p *parser) periodic(b *hcl.Block) *api.PeriodicConfig {
	if b == nil {
		return nil
	}
	a := p.content(b.Body, periodicSchema).Attributes
	c := &api.PeriodicConfig{Enabled: true, SpecType: "cron"}
	p.str(a, "cron", &c.Spec)
	p.stringList(a, "crons", &c.Specs)
	p.boolean(a, "prohibit_overlap", &c.ProhibitOverlap)
	p.str(a, "time_zone", &c.TimeZone)
	p.boolean(a, "enabled", &c.Enabled)
	return c
}

func (p *parser) parameterized(b *hcl.Block) *api.ParameterizedJobConfig {
	if b == nil {
		return nil
	}
	a := p.content(b.Body, parameterizedSchema).Attributes
	c := &api.ParameterizedJobConfig{}
	p.str(a, "payload", &c.Payload)
	p.stringList(a, "meta_required", &c.MetaRequired)
	p.stringList(a, "meta_optional", &c.MetaOptional)
	return c
}

func (p *parser) ephemeralDisk(b *hcl.Block) *api.EphemeralDisk {
	if b == nil {
		return nil
	}
	a := p.content(b.Body, ephemeralDiskSchema).Attributes
	d := &api.EphemeralDisk{}
	p.boolean(a, "sticky", &d.Sticky)
	p.count(a, "size", &d.SizeMB)
	p.boolean(a, "migrate", &d.Migrate)
	return d
}
