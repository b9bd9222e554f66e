package jobspec

import (
	"fmt"
	"github.com/droverhq/drover/api"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// parser decodes one job file. It collects every diagnostic instead of
// stopping at the first.
type parser struct {
	cfg   *ParseConfig
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics
	// syntax maps each block's DefRange to its syntax tree, so free-form
	// blocks can learn their names through bodies that hide it.
	syntax map[hcl.Range]*hclsyntax.Body
	// noAttempts lists restart blocks written without `attempts`; they get
	// the job type's default once the type is known, as in Nomad.
	noAttempts []*api.RestartPolicy
}

func newParser(cfg *ParseConfig) *parser {
	return &parser{
		cfg: cfg,
		ctx: &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": cty.EmptyObjectVal, "local": cty.EmptyObjectVal},
			Functions: functions(baseDir(cfg.Path)),
		},
	}
}

func (p *parser) add(diags ...*hcl.Diagnostic) { p.diags = append(p.diags, diags...) }

// eval evaluates expr; runtime references evaluate to their own text.
func (p *parser) eval(expr hcl.Expression) (cty.Value, bool) {
	ctx := p.ctx
	if refs := runtimeRefs(expr); refs != nil {
		ctx = p.ctx.NewChild()
		ctx.Variables = refs
	}
	v, diags := expr.Value(ctx)
	p.add(hintUnknownVariables(diags)...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		if p.diags.HasErrors() {
			return cty.NilVal, false // an earlier error made it unknown
		}
		p.add(errorf(expr.Range().Ptr(), "Unknown value", "This value cannot be decided when the job file is parsed."))
		return cty.NilVal, false
	}
	return v, true
}

// content decodes body against schema, naming unsupported Nomad features.
func (p *parser) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(schema)
	p.add(explainUnsupported(diags)...)
	return c
}

// attrValue evaluates attribute name of attrs converted to ty, or reports
// why it cannot. ok is false when the attribute is absent, null or invalid.
func (p *parser) attrValue(attrs hcl.Attributes, name string, ty cty.Type, want string) (cty.Value, *hcl.Attribute, bool) {
	a := attrs[name]
	if a == nil {
		return cty.NilVal, nil, false
	}
	v, ok := p.eval(a.Expr)
	if !ok || v.IsNull() {
		return cty.NilVal, a, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		p.add(errorf(a.Expr.Range().Ptr(), "Incorrect attribute value type",
			fmt.Sprintf("Inappropriate value for attribute %q: %s is required, got %s.", name, want, v.Type().FriendlyName())))
		return cty.NilVal, a, false
	}
	return cv, a, true
}

// str, boolean, stringList: each decodes attribute name of attrs into dst,
// leaving dst alone when the attribute is absent or null.

func (p *parser) str(attrs hcl.Attributes, name string, dst *string) {
	if v, _, ok := p.attrValue(attrs, name, cty.String, "a string"); ok {
		*dst = v.AsString()
	}
}

func (p *parser) boolean(attrs hcl.Attributes, name string, dst *bool) {
	if v, _, ok := p.attrValue(attrs, name, cty.Bool, "a bool"); ok {
		*dst = v.True()
	}
}

// integer decodes a whole number within [lo, hi].
func (p *parser) integer(attrs hcl.Attributes, name string, dst *int, lo, hi int64) bool {
	v, a, ok := p.attrValue(attrs, name, cty.Number, "a number")
	if !ok {
		return false
	}
	f := v.AsBigFloat()
	i, acc := f.Int64()
	if !f.IsInt() || acc != big.Exact || i < lo || i > hi {
		got := f.Text('g', -1)
		if f.IsInt() {
			got = f.Text('f', 0) // 99999999999, not 9.9999999999e+10
		}
		p.add(errorf(a.Expr.Range().Ptr(), "Invalid number",
			fmt.Sprintf("The value of %q must be a whole number from %d to %d, got %s.", name, lo, hi, got)))
		return false
	}
	*dst = int(i)
	return true
}

// count decodes a non-negative int, the most common kind of number here.
func (p *parser) count(attrs hcl.Attributes, name string, dst *int) {
	p.integer(attrs, name, dst, 0, 1<<31-1)
}

// duration decodes a Go duration string such as "30s" or "1h30m".
func (p *parser) duration(attrs hcl.Attributes, name string, dst *time.Duration) bool {
	v, a, ok := p.attrValue(attrs, name, cty.String, `a duration string such as "30s"`)
	if !ok {
		return false
	}
	d, err := time.ParseDuration(v.AsString())
	if err == nil && d < 0 {
		p.add(errorf(a.Expr.Range().Ptr(), "Invalid duration",
			fmt.Sprintf("The value of %q, %q, is negative; use a duration of 0 or more, such as \"30s\".", name, v.AsString())))
		return false
	}
	if err != nil {
		p.add(errorf(a.Expr.Range().Ptr(), "Invalid duration",
			fmt.Sprintf("The value of %q, %q, is not a duration; use a number with a unit, such as \"30s\", \"5m\" or \"1h\".", name, v.AsString())))
		return false
	}
	*dst = d
	return true
}

func (p *parser) stringList(attrs hcl.Attributes, name string, dst *[]string) {
	v, _, ok := p.attrValue(attrs, name, cty.List(cty.String), "a list of strings")
	if !ok {
		return
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			p.add(errorf(attrs[name].Expr.Range().Ptr(), "Invalid list", fmt.Sprintf("%q must not contain null.", name)))
			return
		}
		out = append(out, e.AsString())
	}
	*dst = out
}

// stringMap decodes a map of strings given either as an attribute
// (meta = { k = "v" }) or as a block (meta { k = "v" }).
func (p *parser) stringMap(c *hcl.BodyContent, name string, dst *map[string]string) {
	if a := c.Attributes[name]; a != nil {
		p.stringMapAttr(a, dst)
		return
	}
	b := p.single(c.Blocks, name)
	if b == nil {
		return
	}
	attrs := p.attributesOf(b)
	out := map[string]string{}
	for _, k := range sortedKeys(attrs) {
		var s string
		p.str(attrs, k, &s)
		out[k] = s
	}
	*dst = out
}

func (p *parser) stringMapAttr(a *hcl.Attribute, dst *map[string]string) {
	v, _, ok := p.attrValue(hcl.Attributes{a.Name: a}, a.Name, cty.Map(cty.String), "a map of strings")
	if !ok {
		return
	}
	out := map[string]string{}
	for k, e := range v.AsValueMap() {
		if !e.IsNull() {
			out[k] = e.AsString()
		}
	}
	*dst = out
}

// single returns the only block of type typ, reporting duplicates.
func (p *parser) single(blocks hcl.Blocks, typ string) *hcl.Block {
	var found *hcl.Block
	for _, b := range blocks.OfType(typ) {
		if found != nil {
			p.add(errorf(b.DefRange.Ptr(), fmt.Sprintf("Duplicate %s block", typ),
				fmt.Sprintf("Only one %s block is allowed here; another was defined at %s.", typ, found.DefRange)))
			continue
		}
		found = b
	}
	return found
}

// schema builds a body schema from attribute and block names. Block names
// may carry one label: "group:name".
func schema(attrs []string, blocks ...string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a})
	}
	for _, b := range blocks {
		h := hcl.BlockHeaderSchema{Type: b}
		if typ, label, ok := strings.Cut(b, ":"); ok {
			h = hcl.BlockHeaderSchema{Type: typ, LabelNames: []string{label}}
		}
		s.Blocks = append(s.Blocks, h)
	}
	return s
}

// withMaps returns s plus the map-valued names (meta, env, config), each as
// an attribute if body sets it with "=", else as a block.
func withMaps(body hcl.Body, s *hcl.BodySchema, names ...string) *hcl.BodySchema {
	out := &hcl.BodySchema{
		Attributes: append([]hcl.AttributeSchema(nil), s.Attributes...),
		Blocks:     append([]hcl.BlockHeaderSchema(nil), s.Blocks...),
	}
	probe := &hcl.BodySchema{}
	for _, n := range names {
		probe.Attributes = append(probe.Attributes, hcl.AttributeSchema{Name: n})
	}
	// A partial decode ignores blocks, so it finds only "name = ..." forms.
	found, _, _ := body.PartialContent(probe)
	for _, n := range names {
		if found.Attributes[n] != nil {
			out.Attributes = append(out.Attributes, hcl.AttributeSchema{Name: n})
		} else {
			out.Blocks = append(out.Blocks, hcl.BlockHeaderSchema{Type: n})
		}
	}
	return out
}
