package jobspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// indexSyntax records the syntax body of every block under body.
func (p *parser) indexSyntax(body hcl.Body) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return
	}
	p.syntax = map[hcl.Range]*hclsyntax.Body{}
	var walk func(*hclsyntax.Body)
	walk = func(b *hclsyntax.Body) {
		for _, blk := range b.Blocks {
			p.syntax[blk.DefRange()] = generatedBody(blk)
			walk(blk.Body)
		}
	}
	walk(sb)
}

// generatedBody is the body of the blocks blk stands for: its own, or for
// a dynamic block (whose copies keep its DefRange) that of its content block.
func generatedBody(blk *hclsyntax.Block) *hclsyntax.Body {
	if blk.Type != "dynamic" {
		return blk.Body
	}
	for _, c := range blk.Body.Blocks {
		if c.Type == "content" {
			return c.Body
		}
	}
	return blk.Body
}

// attributesOf returns the attributes of a block that may hold only
// attributes (meta, env). It decodes through b.Body, so that attributes
// inside dynamic blocks see their iterator.
func (p *parser) attributesOf(b *hcl.Block) hcl.Attributes {
	sb, ok := b.Body.(*hclsyntax.Body)
	if !ok {
		sb = p.syntax[b.DefRange]
	}
	if sb == nil {
		attrs, diags := b.Body.JustAttributes()
		p.add(diags...)
		return attrs
	}
	s := &hcl.BodySchema{}
	for _, k := range sortedKeys(sb.Attributes) {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: k})
	}
	return p.content(b.Body, s).Attributes
}

// freeForm decodes a body with no schema (a task's config): attributes
// become values, nested blocks become lists of maps keyed by block type,
// and labels nest maps. def is the block's DefRange.
func (p *parser) freeForm(body hcl.Body, def hcl.Range) map[string]interface{} {
	out := map[string]interface{}{}
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		sb = p.syntax[def]
	}
	if sb == nil { // HCL's JSON syntax: objects, no blocks
		attrs, diags := body.JustAttributes()
		p.add(diags...)
		for _, k := range sortedKeys(attrs) {
			out[k], _ = p.goValue(attrs[k].Expr)
		}
		return out
	}
	// Decoding through body, not sb, keeps dynamic-block iterators working.
	c := p.content(body, freeFormSchema(sb))
	for _, k := range sortedKeys(c.Attributes) {
		out[k], _ = p.goValue(c.Attributes[k].Expr)
	}
	for _, blk := range c.Blocks {
		if _, isAttr := c.Attributes[blk.Type]; isAttr {
			p.add(errorf(blk.DefRange.Ptr(), "Duplicate config key",
				fmt.Sprintf("%q is set both as an argument and as a block.", blk.Type)))
			continue
		}
		var v interface{} = p.freeForm(blk.Body, blk.DefRange)
		for i := len(blk.Labels) - 1; i >= 0; i-- {
			v = map[string]interface{}{blk.Labels[i]: v}
		}
		list, _ := out[blk.Type].([]interface{})
		out[blk.Type] = append(list, v)
	}
	return out
}

// freeFormSchema is the schema of exactly what sb contains.
func freeFormSchema(sb *hclsyntax.Body) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, k := range sortedKeys(sb.Attributes) {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: k})
	}
	seen := map[string]bool{}
	for _, b := range sb.Blocks {
		typ, labels := b.Type, len(b.Labels)
		if typ == "dynamic" && labels > 0 {
			typ, labels = b.Labels[0], 0
		}
		if seen[typ] {
			continue
		}
		seen[typ] = true
		h := hcl.BlockHeaderSchema{Type: typ}
		for i := 0; i < labels; i++ {
			h.LabelNames = append(h.LabelNames, fmt.Sprintf("label%d", i))
		}
		s.Blocks = append(s.Blocks, h)
	}
	return s
}

// goValue evaluates expr to plain Go values.
func (p *parser) goValue(expr hcl.Expression) (interface{}, bool) {
	v, ok := p.eval(expr)
	if !ok {
		return nil, false
	}
	g, err := toGo(v)
	if err != nil {
		p.add(errorf(expr.Range().Ptr(), "Unsupported value", err.Error()))
		return nil, false
	}
	return g, true
}
