package jobspec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Environment variable prefixes that set job file variables; DROVER_VAR_
// wins over NOMAD_VAR_.
var varEnvPrefixes = []string{"NOMAD_VAR_", "DROVER_VAR_"}

// variable is one declared variable and the value it ends up with.
type variable struct {
	block       *hcl.Block
	ty          cty.Type  // cty.DynamicPseudoType when the block has no type
	value       cty.Value // cty.NilVal until a default or a value is given
	validations hcl.Blocks
}

var (
	variableSchema   = schema([]string{"type", "default", "description", "sensitive"}, "validation")
	validationSchema = schema([]string{"condition", "error_message"})
)

// variables declares the variable blocks, assigns their values (defaults,
// then environment, then -var-file, then -var) and makes them var.x.
func (p *parser) variables(blocks hcl.Blocks) {
	mark := len(p.diags)
	vars := map[string]*variable{}
	seen := map[string]*hcl.Block{}
	for _, b := range blocks {
		p.unique(seen, b, "variable")
		vars[b.Labels[0]] = p.declare(b)
	}
	p.envValues(vars)
	for _, f := range p.cfg.VarFiles {
		p.fileValues(vars, f)
	}
	if p.cfg.VarContent != "" {
		p.varValues(vars, "<variables>", []byte(p.cfg.VarContent))
	}
	for _, kv := range p.cfg.ArgVars {
		p.argValue(vars, kv)
	}
	obj := map[string]cty.Value{}
	for _, name := range sortedKeys(vars) {
		v := vars[name]
		if v.value == cty.NilVal {
			p.add(errorf(v.block.DefRange.Ptr(), "Unset variable",
				fmt.Sprintf("Variable %q has no default and no value; set it with -var \"%s=...\", a -var-file, or the NOMAD_VAR_%s environment variable.", name, name, name)))
			v.value = cty.DynamicVal
		}
		obj[name] = v.value
	}
	p.ctx.Variables["var"] = cty.ObjectVal(obj)
	if !p.diags[mark:].HasErrors() {
		for _, name := range sortedKeys(vars) {
			p.validate(name, vars[name])
		}
	}
}

func (p *parser) declare(b *hcl.Block) *variable {
	name := b.Labels[0]
	v := &variable{block: b, ty: cty.DynamicPseudoType}
	if !hclsyntax.ValidIdentifier(name) {
		p.add(errorf(b.LabelRanges[0].Ptr(), "Invalid variable name",
			fmt.Sprintf("%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)))
	}
	c := p.content(b.Body, variableSchema)
	v.validations = c.Blocks.OfType("validation")
	a := c.Attributes
	if t := a["type"]; t != nil {
		ty, diags := typeexpr.TypeConstraint(t.Expr)
		p.add(diags...)
		if !diags.HasErrors() {
			v.ty = ty
		}
	}
	if d := a["default"]; d != nil {
		if val, ok := p.eval(d.Expr); ok {
			v.value = p.convertVar(name, v.ty, val, "its default", d.Expr.Range().Ptr())
		}
	}
	return v
}

// convertVar converts val to the variable's type, reporting a mismatch.
func (p *parser) convertVar(name string, ty cty.Type, val cty.Value, from string, rng *hcl.Range) cty.Value {
	cv, err := convert.Convert(val, ty)
	if err != nil {
		p.add(errorf(rng, "Invalid value for variable",
			fmt.Sprintf("The value of var.%s from %s is not a %s: %s.", name, from, typeexpr.TypeString(ty), err)))
		return cty.DynamicVal
	}
	return cv
}

// rawValue turns a command-line or environment value into a variable
// value: as is for string (and untyped) variables, else parsed as an HCL
// expression, so -var 'ports=[80,443]' works.
func (p *parser) rawValue(name string, v *variable, raw, from string) cty.Value {
	if v.ty == cty.String || v.ty == cty.DynamicPseudoType {
		return cty.StringVal(raw)
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), from, hcl.InitialPos)
	var val cty.Value
	if !diags.HasErrors() {
		val, diags = expr.Value(nil)
	}
	if diags.HasErrors() {
		p.add(errorf(nil, "Invalid value for variable",
			fmt.Sprintf("The value of var.%s from %s, %q, is not a valid value of type %s.", name, from, raw, typeexpr.TypeString(v.ty))))
		return cty.DynamicVal
	}
	return p.convertVar(name, v.ty, val, from, nil)
}

func (p *parser) envValues(vars map[string]*variable) {
	for _, prefix := range varEnvPrefixes {
		for _, kv := range p.cfg.Envs {
			k, val, ok := strings.Cut(kv, "=")
			name, isVar := strings.CutPrefix(k, prefix)
			if !ok || !isVar || vars[name] == nil {
				continue
			}
			vars[name].value = p.rawValue(name, vars[name], val, "environment variable "+k)
		}
	}
}

func (p *parser) argValue(vars map[string]*variable, kv string) {
	name, val, ok := strings.Cut(kv, "=")
	if !ok || name == "" {
		p.add(errorf(nil, "Invalid -var option", fmt.Sprintf("The option -var %q is not of the form name=value.", kv)))
		return
	}
	v := vars[name]
	if v == nil {
		if p.cfg.Strict {
			p.add(errorf(nil, "Undefined -var variable",
				fmt.Sprintf("-var sets %q, but the job file declares no such variable; declare it with a variable %q block, or remove the option.", name, name)))
		}
		return
	}
	v.value = p.rawValue(name, v, val, "-var "+name)
}

// fileValues applies a -var-file: HCL attributes, or JSON for .json.
func (p *parser) fileValues(vars map[string]*variable, path string) {
	src, err := os.ReadFile(path)
	if err != nil {
		p.add(errorf(nil, "Cannot read variable file", fmt.Sprintf("-var-file %s: %s.", path, err)))
		return
	}
	p.varValues(vars, path, src)
}

// varValues applies variable values in var-file syntax; path names them in
// diagnostics and, ending in .json, selects JSON.
func (p *parser) varValues(vars map[string]*variable, path string, src []byte) {
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.EqualFold(filepath.Ext(path), ".json") {
		f, diags = json.Parse(src, path)
	} else {
		f, diags = hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	}
	p.add(diags...)
	if diags.HasErrors() {
		return
	}
	attrs, diags := f.Body.JustAttributes()
	p.add(diags...)
	for _, name := range sortedKeys(attrs) {
		p.fileValue(vars, attrs[name], path)
	}
}

func (p *parser) fileValue(vars map[string]*variable, a *hcl.Attribute, path string) {
	v := vars[a.Name]
	if v == nil {
		if p.cfg.Strict {
			p.add(errorf(a.NameRange.Ptr(), "Undefined variable",
				fmt.Sprintf("%s sets %q, but the job file declares no such variable; declare it with a variable %q block, or remove it.", path, a.Name, a.Name)))
		}
		return
	}
	if val, ok := p.eval(a.Expr); ok {
		v.value = p.convertVar(a.Name, v.ty, val, path, a.Expr.Range().Ptr())
	}
}

// validate checks a variable's validation blocks.
func (p *parser) validate(name string, v *variable) {
	for _, b := range v.validations {
		a := p.content(b.Body, validationSchema).Attributes
		if a["condition"] == nil {
			p.add(errorf(b.DefRange.Ptr(), "Missing condition", "A validation block needs a condition."))
			continue
		}
		mark := len(p.diags)
		ok := true
		p.boolean(a, "condition", &ok)
		if ok || p.diags[mark:].HasErrors() {
			continue
		}
		msg := fmt.Sprintf("The value of var.%s is not valid.", name)
		p.str(a, "error_message", &msg)
		p.add(errorf(a["condition"].Expr.Range().Ptr(), "Invalid value for variable", msg))
	}
}

// locals evaluates the locals blocks in dependency order and makes them
// local.x.
func (p *parser) locals(blocks hcl.Blocks) {
	pending := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		attrs, diags := b.Body.JustAttributes()
		p.add(diags...)
		for name, a := range attrs {
			if prev := pending[name]; prev != nil {
				p.add(errorf(a.NameRange.Ptr(), "Duplicate local value",
					fmt.Sprintf("local.%s was already defined at %s.", name, prev.NameRange)))
				continue
			}
			pending[name] = a
		}
	}
	values := map[string]cty.Value{}
	for len(pending) > 0 {
		if !p.evalReadyLocals(pending, values) {
			for _, name := range sortedKeys(pending) {
				p.add(errorf(pending[name].Range.Ptr(), "Circular reference",
					fmt.Sprintf("local.%s depends on itself through other locals.", name)))
			}
			return
		}
	}
}

// evalReadyLocals evaluates the locals whose dependencies have values. It
// reports whether it made progress.
func (p *parser) evalReadyLocals(pending map[string]*hcl.Attribute, values map[string]cty.Value) bool {
	progress := false
	for _, name := range sortedKeys(pending) {
		a := pending[name]
		if dependsOnPending(a.Expr, pending) {
			continue
		}
		v, ok := p.eval(a.Expr)
		if !ok {
			v = cty.DynamicVal
		}
		values[name] = v
		delete(pending, name)
		p.ctx.Variables["local"] = cty.ObjectVal(values)
		progress = true
	}
	return progress
}

func dependsOnPending(expr hcl.Expression, pending map[string]*hcl.Attribute) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		if at, ok := tr[1].(hcl.TraverseAttr); ok && pending[at.Name] != nil {
			return true
		}
	}
	return false
}
