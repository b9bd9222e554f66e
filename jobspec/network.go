package jobspec

import (
	"github.com/droverhq/drover/api"
	"github.com/hashicorp/hcl/v2"
)

var (
	networkSchema = schema([]string{"mode", "mbits"}, "port:label")
	portSchema    = schema([]string{"static", "to", "host_network"})
	serviceSchema = schema([]string{"name", "port", "tags", "provider", "task"}, "check")
	checkSchema   = schema([]string{"name", "type", "path", "protocol", "port", "command", "args",
		"interval", "timeout"})
)

// network decodes a network block. Ports with static are reserved; the
// others are dynamic.
func (p *parser) network(b *hcl.Block) *api.NetworkResource {
	if b == nil {
		return nil
	}
	c := p.content(b.Body, networkSchema)
	n := &api.NetworkResource{}
	p.str(c.Attributes, "mode", &n.Mode)
	p.count(c.Attributes, "mbits", &n.MBits)
	seen := map[string]*hcl.Block{}
	for _, pb := range c.Blocks.OfType("port") {
		p.unique(seen, pb, "port")
		port, static := p.port(pb)
		if static {
			n.ReservedPorts = append(n.ReservedPorts, port)
		} else {
			n.DynamicPorts = append(n.DynamicPorts, port)
		}
	}
	return n
}

func (p *parser) port(b *hcl.Block) (api.Port, bool) {
	a := p.content(b.Body, portSchema).Attributes
	port := api.Port{Label: b.Labels[0]}
	static := p.integer(a, "static", &port.Value, 1, 65535)
	p.integer(a, "to", &port.To, -1, 65535)
	p.str(a, "host_network", &port.HostNetwork)
	return port, static || a["static"] != nil
}

func (p *parser) services(blocks hcl.Blocks) []*api.Service {
	var out []*api.Service
	for _, b := range blocks.OfType("service") {
		out = append(out, p.service(b))
	}
	return out
}

func (p *parser) service(b *hcl.Block) *api.Service {
	c := p.content(b.Body, withMaps(b.Body, serviceSchema, "meta"))
	a := c.Attributes
	s := &api.Service{}
	p.str(a, "name", &s.Name)
	p.str(a, "port", &s.PortLabel)
	p.stringList(a, "tags", &s.Tags)
	p.str(a, "provider", &s.Provider)
	p.str(a, "task", &s.TaskName)
	p.stringMap(c, "meta", &s.Meta)
	for _, cb := range c.Blocks.OfType("check") {
		s.Checks = append(s.Checks, p.check(cb))
	}
	return s
}

func (p *parser) check(b *hcl.Block) *api.ServiceCheck {
	a := p.content(b.Body, checkSchema).Attributes
	c := &api.ServiceCheck{}
	p.str(a, "name", &c.Name)
	p.str(a, "type", &c.Type)
	p.str(a, "path", &c.Path)
	p.str(a, "protocol", &c.Protocol)
	p.str(a, "port", &c.PortLabel)
	p.str(a, "command", &c.Command)
	p.stringList(a, "args", &c.Args)
	p.duration(a, "interval", &c.Interval)
	p.duration(a, "timeout", &c.Timeout)
	return c
}
