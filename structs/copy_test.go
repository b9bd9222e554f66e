package structs

import (
	"fmt"
	"reflect"
	"testing"
)

// fillAll sets every exported field reachable from v to a non-zero value:
// pointers are allocated, slices and maps get one element, driver-config
// interfaces get nested maps and slices. It is deterministic, so two calls
// build equal values, and it covers fields added later without edits here.
func fillAll(v reflect.Value, depth int) {
	if depth > 16 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(v.Elem(), depth+1)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fillAll(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillAll(k, depth+1)
		fillAll(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]interface{}{
			"list": []interface{}{"a", map[string]interface{}{"n": 1}},
			"map":  map[string]interface{}{"s": []string{"x"}},
		}))
	default:
		fillScalar(v)
	}
}

func fillScalar(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("s")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	}
}

// mutateAll changes every value reachable from v in place, including inside
// maps, slices and driver-config interfaces, and adds a key to every map.
// Run on a copy, it changes the original too wherever they share memory.
func mutateAll(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			mutateAll(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				mutateAll(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			mutateAll(v.Index(i))
		}
	case reflect.Map:
		mutateMap(v)
	default:
		if v.CanSet() {
			mutateScalar(v)
		}
	}
}

func mutateMap(m reflect.Value) {
	for _, k := range m.MapKeys() {
		e := reflect.New(m.Type().Elem()).Elem()
		e.Set(m.MapIndex(k))
		if e.Kind() == reflect.Interface && !e.IsNil() && e.Elem().Kind() != reflect.Map && e.Elem().Kind() != reflect.Slice {
			e.Set(reflect.ValueOf("mutated"))
		}
		mutateAll(e)
		m.SetMapIndex(k, e)
	}
	if m.Type().Key().Kind() == reflect.String {
		m.SetMapIndex(reflect.ValueOf("added").Convert(m.Type().Key()), reflect.New(m.Type().Elem()).Elem())
	}
}

func mutateScalar(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "-mutated")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(v.Float() + 1)
	}
}

// filled returns a new *T with every field set by fillAll.
func filled[T any]() *T {
	p := new(T)
	fillAll(reflect.ValueOf(p).Elem(), 0)
	return p
}

// copyProblem copies a filled value, checks the copy is equal, then mutates
// the copy everywhere and checks the original did not change. shared, if
// set, checks and then clears the fields the copy shares by design; it is
// also called with the same value twice to clear them on the reference.
func copyProblem[T any](copyFn func(*T) *T, shared func(orig, cp *T) string) string {
	orig := filled[T]()
	cp := copyFn(orig)
	if cp == orig {
		return "Copy returned the same pointer, want a new value"
	}
	if !reflect.DeepEqual(cp, orig) {
		return fmt.Sprintf("copy differs from the original:\ngot  %+v\nwant %+v", cp, orig)
	}
	want := filled[T]()
	if shared != nil {
		if msg := shared(orig, cp); msg != "" {
			return msg
		}
		shared(want, want)
	}
	mutateAll(reflect.ValueOf(cp))
	if !reflect.DeepEqual(orig, want) {
		return fmt.Sprintf("mutating the copy changed the original:\ngot  %+v\nwant %+v", orig, want)
	}
	return ""
}

func TestCopyIndependence(t *testing.T) {
	sharedJob := func(orig, cp *Allocation) string {
		if cp.Job != orig.Job {
			return "copy's Job: got a different pointer, want the original's (shared)"
		}
		cp.Job, orig.Job = nil, nil // shared by design; the rest must be independent
		return ""
	}
	cases := []struct {
		name    string
		problem func() string
	}{
		{"Job", func() string { return copyProblem((*Job).Copy, nil) }},
		{"TaskGroup", func() string { return copyProblem((*TaskGroup).Copy, nil) }},
		{"Task", func() string { return copyProblem((*Task).Copy, nil) }},
		{"Node", func() string { return copyProblem((*Node).Copy, nil) }},
		{"Evaluation", func() string { return copyProblem((*Evaluation).Copy, nil) }},
		{"Allocation", func() string { return copyProblem((*Allocation).Copy, sharedJob) }},
		{"AllocationSkipJob", func() string { return copyProblem((*Allocation).CopySkipJob, sharedJob) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if msg := tc.problem(); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestCopyHarnessCatchesSharing makes sure the harness above would notice a
// copy that shares memory.
func TestCopyHarnessCatchesSharing(t *testing.T) {
	shallow := func(n *Node) *Node { c := *n; return &c }
	if msg := copyProblem(shallow, nil); msg == "" {
		t.Errorf("shallow Node copy: got no problem, want the harness to report shared memory")
	}
	halfDeep := func(j *Job) *Job {
		c := j.Copy()
		c.TaskGroups[0].Tasks[0].Config = j.TaskGroups[0].Tasks[0].Config
		return c
	}
	if msg := copyProblem(halfDeep, nil); msg == "" {
		t.Errorf("Job copy sharing a task config: got no problem, want the harness to report it")
	}
}

func TestCopyNil(t *testing.T) {
	cases := []struct {
		name string
		got  interface{}
	}{
		{"Job", (*Job)(nil).Copy()},
		{"TaskGroup", (*TaskGroup)(nil).Copy()},
		{"Task", (*Task)(nil).Copy()},
		{"Allocation", (*Allocation)(nil).Copy()},
		{"AllocationSkipJob", (*Allocation)(nil).CopySkipJob()},
		{"Node", (*Node)(nil).Copy()},
		{"Evaluation", (*Evaluation)(nil).Copy()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.ValueOf(tc.got).IsNil() {
				t.Errorf("Copy of nil: got %v, want nil", tc.got)
			}
		})
	}
}

func TestCopyKeepsNilAndEmpty(t *testing.T) {
	j := &Job{ID: "x", Meta: map[string]string{}, TaskGroups: []*TaskGroup{{Name: "g", Tasks: []*Task{{Name: "t"}}}}}
	c := j.Copy()
	if c.Meta == nil {
		t.Errorf("empty Meta: got nil, want an empty map")
	}
	if c.Datacenters != nil || c.TaskGroups[0].Tasks[0].Env != nil {
		t.Errorf("nil fields: got %v and %v, want nil", c.Datacenters, c.TaskGroups[0].Tasks[0].Env)
	}
	if !reflect.DeepEqual(c, j) {
		t.Errorf("got %+v, want %+v", c, j)
	}
}

func TestCopyDriverConfigShapes(t *testing.T) {
	cases := []struct {
		name   string
		value  func() interface{}
		mutate func(v interface{})
	}{
		{"list of maps", func() interface{} { return []map[string]interface{}{{"source": "a"}} },
			func(v interface{}) { v.([]map[string]interface{})[0]["source"] = "b" }},
		{"strings", func() interface{} { return []string{"a", "b"} }, func(v interface{}) { v.([]string)[0] = "z" }},
		{"nested list", func() interface{} { return []interface{}{[]interface{}{"a"}} },
			func(v interface{}) { v.([]interface{})[0].([]interface{})[0] = "z" }},
		{"map in list", func() interface{} { return []interface{}{map[string]interface{}{"k": "v"}} },
			func(v interface{}) { v.([]interface{})[0].(map[string]interface{})["k"] = "z" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := &Task{Config: map[string]interface{}{"x": tc.value()}}
			cp := orig.Copy()
			tc.mutate(cp.Config["x"])
			if want := tc.value(); !reflect.DeepEqual(orig.Config["x"], want) {
				t.Errorf("after mutating the copy: original %v, want %v", orig.Config["x"], want)
			}
		})
	}
	nilList := (&Task{Config: map[string]interface{}{"x": []interface{}(nil)}}).Copy()
	if v, ok := nilList.Config["x"].([]interface{}); !ok || v != nil {
		t.Errorf("nil list: got %#v, want a nil []interface{}", nilList.Config["x"])
	}
}
