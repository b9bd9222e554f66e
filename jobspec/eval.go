package jobspec

import (
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions is the function library of job files: a subset of the cty
// standard library, try/can, and file() relative to dir.
func functions(dir string) map[string]function.Function {
	return map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc,
		"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
		"upper": stdlib.UpperFunc, "replace": stdlib.ReplaceFunc, "regex": stdlib.RegexFunc,
		"regexall": stdlib.RegexAllFunc, "regex_replace": stdlib.RegexReplaceFunc,
		"split": stdlib.SplitFunc, "strlen": stdlib.StrlenFunc, "substr": stdlib.SubstrFunc,
		"title": stdlib.TitleFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
		"trimsuffix": stdlib.TrimSuffixFunc, "trimspace": stdlib.TrimSpaceFunc,
		"strrev":    stdlib.ReverseFunc,
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc,
		"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "index": stdlib.IndexFunc,
		"keys": stdlib.KeysFunc, "length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc,
		"merge": stdlib.MergeFunc, "range": stdlib.RangeFunc, "reverse": stdlib.ReverseListFunc,
		"setunion": stdlib.SetUnionFunc, "setintersection": stdlib.SetIntersectionFunc,
		"slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "values": stdlib.ValuesFunc,
		"zipmap":     stdlib.ZipmapFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "jsondecode": stdlib.JSONDecodeFunc,
		"csvdecode": stdlib.CSVDecodeFunc,
		"tostring":  stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"try":   tryfunc.TryFunc, "can": tryfunc.CanFunc,
		"file": fileFunc(dir),
	}
}

// fileFunc reads a file, relative to dir unless the path is absolute.
func fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return cty.NilVal, fmt.Errorf("%w (relative paths start at the job file's folder)", err)
			}
			return cty.StringVal(string(b)), nil
		},
	})
}

// isRuntimeRoot reports whether a root name is resolved by the client when
// it starts a task, not by jobspec.
func isRuntimeRoot(name string) bool {
	switch name {
	case "node", "attr", "meta", "env", "device":
		return true
	}
	return isEnvName(name)
}

// isEnvName reports whether name looks like an environment variable:
// NOMAD_* and DROVER_* (NOMAD_PORT_http), or upper-case letters, digits and
// underscores (HOME, MY_VAR).
func isEnvName(name string) bool {
	if strings.HasPrefix(name, "NOMAD_") || strings.HasPrefix(name, "DROVER_") {
		return true
	}
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, r := range name {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// refTree collects the runtime references of one expression, so each can
// evaluate to its own text.
type refTree struct {
	text     string // "${...}" when a reference ends here
	children map[string]*refTree
}

func (t *refTree) insert(steps []string, text string) {
	if len(steps) == 0 {
		t.text = text
		return
	}
	if t.children == nil {
		t.children = map[string]*refTree{}
	}
	c := t.children[steps[0]]
	if c == nil {
		c = &refTree{}
		t.children[steps[0]] = c
	}
	c.insert(steps[1:], text)
}

func (t *refTree) value() cty.Value {
	if len(t.children) == 0 {
		return cty.StringVal(t.text)
	}
	attrs := make(map[string]cty.Value, len(t.children))
	for k, c := range t.children {
		attrs[k] = c.value()
	}
	return cty.ObjectVal(attrs)
}

// runtimeRefs returns variables under which every runtime reference in expr
// evaluates to "${" + its text + "}", or nil when there are none.
func runtimeRefs(expr hcl.Expression) map[string]cty.Value {
	roots := map[string]*refTree{}
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		if !isRuntimeRoot(root) {
			continue
		}
		steps, text := traversalSteps(tr)
		if roots[root] == nil {
			roots[root] = &refTree{}
		}
		roots[root].insert(steps, "${"+text+"}")
	}
	if len(roots) == 0 {
		return nil
	}
	vars := make(map[string]cty.Value, len(roots))
	for k, t := range roots {
		vars[k] = t.value()
	}
	return vars
}

// traversalSteps returns the names a traversal walks after its root, and
// the traversal's text. It stops at a splat.
func traversalSteps(tr hcl.Traversal) ([]string, string) {
	var steps []string
	var text strings.Builder
	for _, s := range tr {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			text.WriteString(s.Name)
		case hcl.TraverseAttr:
			steps = append(steps, s.Name)
			text.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			k, ok := indexKey(s.Key)
			if !ok {
				return steps, text.String()
			}
			steps = append(steps, k)
			if s.Key.Type() == cty.String {
				fmt.Fprintf(&text, "[%q]", k)
			} else {
				text.WriteString("[" + k + "]")
			}
		default:
			return steps, text.String()
		}
	}
	return steps, text.String()
}

func indexKey(v cty.Value) (string, bool) {
	if !v.IsKnown() || v.IsNull() {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), true
	}
	return "", false
}

// toGo converts a cty value to plain Go: string, int (integral numbers),
// float64, bool, []interface{}, map[string]interface{} or nil.
func toGo(v cty.Value) (interface{}, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsWhollyKnown() {
		return nil, fmt.Errorf("the value is not known until the job runs")
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString(), nil
	case ty == cty.Bool:
		return v.True(), nil
	case ty == cty.Number:
		return numberToGo(v.AsBigFloat()), nil
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		return listToGo(v)
	case ty.IsMapType() || ty.IsObjectType():
		return mapToGo(v)
	}
	return nil, fmt.Errorf("values of type %s are not supported here", ty.FriendlyName())
}

func numberToGo(f *big.Float) interface{} {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return int(i)
		}
	}
	x, _ := f.Float64()
	return x
}

func listToGo(v cty.Value) (interface{}, error) {
	out := make([]interface{}, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		g, err := toGo(e)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

func mapToGo(v cty.Value) (interface{}, error) {
	out := make(map[string]interface{}, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		g, err := toGo(e)
		if err != nil {
			return nil, err
		}
		out[k.AsString()] = g
	}
	return out, nil
}
