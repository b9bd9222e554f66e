package jobspec

import (
	"fmt"

	"github.com/droverhq/drover/api"
	"github.com/hashicorp/hcl/v2"
)

// Shorthand attributes: `regexp = "x"` means operator "regexp", value "x".
var (
	constraintShorthands = []string{api.ConstraintRegex, api.ConstraintVersion, api.ConstraintSemver,
		api.ConstraintSetContains, api.ConstraintSetContainsAny, api.ConstraintSetContainsAll,
		api.ConstraintDistinctHosts, api.ConstraintDistinctProperty}
	affinityShorthands = []string{api.ConstraintRegex, api.ConstraintVersion, api.ConstraintSemver,
		api.ConstraintSetContainsAny, api.ConstraintSetContainsAll}

	constraintSchema = schema(append([]string{"attribute", "operator", "value"}, constraintShorthands...))
	affinitySchema   = schema(append([]string{"attribute", "operator", "value", "weight"}, affinityShorthands...))
	spreadSchema     = schema([]string{"attribute", "weight"}, "target:value")
	targetSchema     = schema([]string{"percent"})
)

func (p *parser) constraints(blocks hcl.Blocks) []*api.Constraint {
	var out []*api.Constraint
	for _, b := range blocks.OfType("constraint") {
		if c := p.constraint(b); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// constraint decodes a constraint block; distinct_hosts = false gives nil.
func (p *parser) constraint(b *hcl.Block) *api.Constraint {
	a := p.content(b.Body, constraintSchema).Attributes
	c := &api.Constraint{Operand: "="}
	p.str(a, "attribute", &c.LTarget)
	p.str(a, "operator", &c.Operand)
	p.str(a, "value", &c.RTarget)
	short := p.shorthand(a, constraintShorthands)
	switch short {
	case "":
		return c
	case api.ConstraintDistinctHosts:
		var on bool
		p.boolean(a, short, &on)
		if !on {
			return nil
		}
	case api.ConstraintDistinctProperty:
		p.str(a, short, &c.LTarget)
	default:
		p.str(a, short, &c.RTarget)
	}
	c.Operand = short
	return c
}

// shorthand returns the one shorthand attribute set in attrs, if any. It
// reports a second shorthand, or a shorthand together with operator.
func (p *parser) shorthand(attrs hcl.Attributes, names []string) string {
	var found string
	for _, n := range names {
		a := attrs[n]
		if a == nil {
			continue
		}
		if found != "" || attrs["operator"] != nil {
			other := found
			if other == "" {
				other = "operator"
			}
			p.add(errorf(a.NameRange.Ptr(), "Conflicting operators",
				fmt.Sprintf("%q and %q both set the operator; keep one of them.", other, n)))
			continue
		}
		found = n
	}
	return found
}

func (p *parser) affinities(blocks hcl.Blocks) []*api.Affinity {
	var out []*api.Affinity
	for _, b := range blocks.OfType("affinity") {
		out = append(out, p.affinity(b))
	}
	return out
}

func (p *parser) affinity(b *hcl.Block) *api.Affinity {
	a := p.content(b.Body, affinitySchema).Attributes
	af := &api.Affinity{Operand: "=", Weight: 50}
	p.str(a, "attribute", &af.LTarget)
	p.str(a, "operator", &af.Operand)
	p.str(a, "value", &af.RTarget)
	if short := p.shorthand(a, affinityShorthands); short != "" {
		af.Operand = short
		p.str(a, short, &af.RTarget)
	}
	af.Weight = p.weight(a, af.Weight, -100)
	return af
}

// weight decodes a weight from lo to 100, not 0; def when absent.
func (p *parser) weight(attrs hcl.Attributes, def int8, lo int64) int8 {
	w := int(def)
	if !p.integer(attrs, "weight", &w, lo, 100) {
		return def
	}
	if w == 0 {
		p.add(errorf(attrs["weight"].Expr.Range().Ptr(), "Invalid weight",
			fmt.Sprintf("A weight must be from %d to 100 and not 0.", lo)))
	}
	return int8(w)
}

func (p *parser) spreads(blocks hcl.Blocks) []*api.Spread {
	var out []*api.Spread
	for _, b := range blocks.OfType("spread") {
		out = append(out, p.spread(b))
	}
	return out
}

func (p *parser) spread(b *hcl.Block) *api.Spread {
	c := p.content(b.Body, spreadSchema)
	s := &api.Spread{Weight: 50}
	p.str(c.Attributes, "attribute", &s.Attribute)
	s.Weight = p.weight(c.Attributes, s.Weight, 1)
	seen := map[string]*hcl.Block{}
	for _, t := range c.Blocks.OfType("target") {
		p.unique(seen, t, "spread target")
		var pct int
		p.integer(p.content(t.Body, targetSchema).Attributes, "percent", &pct, 0, 100)
		s.SpreadTarget = append(s.SpreadTarget, &api.SpreadTarget{Value: t.Labels[0], Percent: uint8(pct)})
	}
	return s
}
