package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"

	"github.com/droverhq/drover/api"
	"github.com/hashicorp/hcl/v2"
)

// isHCLJSON reports whether a JSON body is HCL's JSON syntax
// ({"job": {"name": {...}}, "variable": ...}) rather than an API job.
func isHCLJSON(body []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return false
	}
	_, ok := top["job"]
	return ok
}

// parseJSON decodes a JSON job in Nomad's API shape: {"Job": {...}} or a
// bare job. Fields drover does not know are errors unless their value is
// empty (null, false, 0, "", [] or {}), so jobs exported by Nomad load.
func parseJSON(name string, body []byte) (*api.Job, error) {
	var raw interface{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, jsonError(name, body, err)
	}
	if dec.More() {
		return nil, &Error{File: name, Diagnostics: hcl.Diagnostics{errorf(
			jsonRange(name, body, dec.InputOffset()), "Invalid JSON", "Extra data after the job object.")}}
	}
	top, ok := raw.(map[string]interface{})
	if !ok {
		return nil, &Error{File: name, Diagnostics: hcl.Diagnostics{errorf(
			nil, "Invalid JSON job", `A JSON job file must be an object: {"Job": {...}} or a job.`)}}
	}
	job, err := decodeJSONJob(name, body, top)
	if err != nil {
		return nil, err
	}
	normalizeJob(job)
	return job, nil
}

// jobWrapper is the {"Job": {...}} form.
type jobWrapper struct {
	Job *api.Job
}

func decodeJSONJob(name string, body []byte, top map[string]interface{}) (*api.Job, error) {
	_, wrapped := top["Job"]
	var diags hcl.Diagnostics
	var target interface{}
	var w jobWrapper
	job := &api.Job{}
	if wrapped {
		target = &w
		diags = unknownFields(top, reflect.TypeOf(w), "")
	} else {
		target = job
		diags = unknownFields(top, reflect.TypeOf(*job), "")
	}
	if len(diags) > 0 {
		return nil, &Error{File: name, Diagnostics: diags}
	}
	if err := json.Unmarshal(body, target); err != nil {
		return nil, jsonError(name, body, err)
	}
	if wrapped {
		job = w.Job
	}
	if job == nil {
		return nil, &Error{File: name, Diagnostics: hcl.Diagnostics{errorf(nil, "Invalid JSON job", `"Job" is null.`)}}
	}
	return job, nil
}

// unknownFields compares decoded JSON with the Go type it will fill and
// reports fields the type lacks, by path (Job.TaskGroups[0].Foo).
func unknownFields(v interface{}, t reflect.Type, path string) hcl.Diagnostics {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var diags hcl.Diagnostics
	switch t.Kind() {
	case reflect.Struct:
		m, _ := v.(map[string]interface{})
		for _, k := range sortedKeys(m) {
			diags = append(diags, structField(m[k], t, path, k)...)
		}
	case reflect.Slice, reflect.Array:
		l, _ := v.([]interface{})
		for i, e := range l {
			diags = append(diags, unknownFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	case reflect.Map:
		m, _ := v.(map[string]interface{})
		for _, k := range sortedKeys(m) {
			diags = append(diags, unknownFields(m[k], t.Elem(), fmt.Sprintf("%s[%q]", path, k))...)
		}
	}
	return diags
}

func structField(v interface{}, t reflect.Type, path, key string) hcl.Diagnostics {
	full := key
	if path != "" {
		full = path + "." + key
	}
	if f, ok := fieldByJSONName(t, key); ok {
		return unknownFields(v, f.Type, full)
	}
	if isEmptyJSON(v) {
		return nil
	}
	return hcl.Diagnostics{errorf(nil, "Unsupported field",
		fmt.Sprintf("%q is not a field drover knows; remove it or check its spelling (JSON jobs use Nomad's API field names, such as TaskGroups and MemoryMB).", full))}
}

// fieldByJSONName finds the field encoding/json would fill for key: an
// exact match first, then a case-insensitive one.
func fieldByJSONName(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold *reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f, true
		}
		if fold == nil && strings.EqualFold(name, key) {
			fold = &f
		}
	}
	if fold != nil {
		return *fold, true
	}
	return reflect.StructField{}, false
}

func isEmptyJSON(v interface{}) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	case []interface{}:
		return len(v) == 0
	case map[string]interface{}:
		return len(v) == 0
	}
	return false
}

// jsonError turns an encoding/json error into a diagnostic with a position.
func jsonError(name string, body []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var d *hcl.Diagnostic
	switch {
	case errors.As(err, &syn):
		d = errorf(jsonRange(name, body, syn.Offset), "Invalid JSON", syn.Error()+".")
	case errors.As(err, &typ):
		d = errorf(jsonRange(name, body, typ.Offset), "Incorrect field type",
			fmt.Sprintf("%q must be %s, got a JSON %s.", typ.Field, jsonTypeName(typ.Type), typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		d = errorf(nil, "Invalid JSON", "The JSON ends too early.")
	default:
		d = errorf(nil, "Invalid JSON job", err.Error()+".")
	}
	return &Error{File: name, Diagnostics: hcl.Diagnostics{d}}
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a bool"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a number (" + t.String() + ")"
}

// jsonRange is the position of a byte offset in body.
func jsonRange(name string, body []byte, offset int64) *hcl.Range {
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	if offset > 0 {
		offset-- // encoding/json points just past the problem
	}
	before := body[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	pos := hcl.Pos{Line: line, Column: col, Byte: int(offset)}
	end := pos
	end.Column++
	end.Byte++
	return &hcl.Range{Filename: name, Start: pos, End: end}
}

// normalizeJob applies the defaults HCL parsing applies too: Count 1 and
// Name = ID; config numbers that are whole become int.
func normalizeJob(j *api.Job) {
	if j.Name == "" {
		j.Name = j.ID
	}
	for _, g := range j.TaskGroups {
		if g == nil {
			continue
		}
		if g.Count == nil {
			one := 1
			g.Count = &one
		}
		for _, t := range g.Tasks {
			if t != nil && t.Config != nil {
				t.Config = intsInJSON(t.Config).(map[string]interface{})
			}
		}
	}
}

// intsInJSON turns whole float64 numbers into int, recursively.
func intsInJSON(v interface{}) interface{} {
	switch v := v.(type) {
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int(v)
		}
	case []interface{}:
		for i := range v {
			v[i] = intsInJSON(v[i])
		}
	case map[string]interface{}:
		for k := range v {
			v[k] = intsInJSON(v[k])
		}
	}
	return v
}
