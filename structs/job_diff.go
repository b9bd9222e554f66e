package structs

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// DiffType says how an object or field changed between two job versions.
type DiffType string

// Diff types, as Nomad's.
const (
	DiffTypeNone    DiffType = "None"
	DiffTypeAdded   DiffType = "Added"
	DiffTypeDeleted DiffType = "Deleted"
	DiffTypeEdited  DiffType = "Edited"
)

// Task annotations: what a task's change does to its allocations.
const (
	AnnotationForcesCreate            = "forces create"
	AnnotationForcesDestroy           = "forces destroy"
	AnnotationForcesInplaceUpdate     = "forces in-place update"
	AnnotationForcesDestructiveUpdate = "forces create/destroy update"
)

// Keys of TaskGroupDiff.Updates, as Nomad's `job plan` prints them.
const (
	UpdateTypeIgnore            = "ignore"
	UpdateTypeCreate            = "create"
	UpdateTypeDestroy           = "destroy"
	UpdateTypeMigrate           = "migrate"
	UpdateTypeCanary            = "canary"
	UpdateTypeInplaceUpdate     = "in-place update"
	UpdateTypeDestructiveUpdate = "create/destroy update"
)

// JobDiff is the difference between two versions of a job, field by field,
// in Nomad's shape (the `Diff` of a `job plan` answer).
type JobDiff struct {
	Type       DiffType
	ID         string
	Fields     []*FieldDiff
	Objects    []*ObjectDiff
	TaskGroups []*TaskGroupDiff
}

// TaskGroupDiff is the difference of one task group. Updates counts what
// the scheduler would do to its allocations (filled in by `job plan`).
type TaskGroupDiff struct {
	Type    DiffType
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
	Tasks   []*TaskDiff
	Updates map[string]uint64
}

// TaskDiff is the difference of one task; Annotations say whether the
// change replaces the allocations or updates them in place.
type TaskDiff struct {
	Type        DiffType
	Name        string
	Fields      []*FieldDiff
	Objects     []*ObjectDiff
	Annotations []string
}

// ObjectDiff is the difference of a nested block (a constraint, the
// resources, a driver config).
type ObjectDiff struct {
	Type    DiffType
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
}

// FieldDiff is the difference of one value, as text.
type FieldDiff struct {
	Type        DiffType
	Name        string
	Old, New    string
	Annotations []string
}

// diffSkipJob are the Job fields the diff leaves out: bookkeeping the
// servers maintain, and the task groups, diffed by name on their own.
var diffSkipJob = map[string]bool{
	"Status": true, "StatusDescription": true, "Stable": true, "Version": true, "SubmitTime": true,
	"CreateIndex": true, "ModifyIndex": true, "JobModifyIndex": true, "TaskGroups": true,
}

var (
	diffSkipGroup = map[string]bool{"Name": true, "Tasks": true}
	diffSkipTask  = map[string]bool{"Name": true}
)

// DiffJobs returns the difference from old to new; either may be nil (a
// new or a removed job). Only what changed is listed; Type None means
// nothing did.
func DiffJobs(old, new *Job) *JobDiff {
	d := &JobDiff{Type: DiffTypeNone}
	switch {
	case old == nil && new == nil:
		return d
	case old == nil:
		d.Type, d.ID = DiffTypeAdded, new.ID
	case new == nil:
		d.Type, d.ID = DiffTypeDeleted, old.ID
	default:
		d.ID = new.ID
	}
	d.Fields, d.Objects = diffStruct(valueOf(old), valueOf(new), diffSkipJob)
	for _, name := range groupNames(old, new) {
		tg := diffTaskGroup(old.LookupTaskGroup(name), new.LookupTaskGroup(name))
		tg.Name = name
		d.TaskGroups = append(d.TaskGroups, tg)
	}
	if d.Type == DiffTypeNone && (len(d.Fields) > 0 || len(d.Objects) > 0 || anyGroupChanged(d.TaskGroups)) {
		d.Type = DiffTypeEdited
	}
	return d
}

func anyGroupChanged(groups []*TaskGroupDiff) bool {
	for _, g := range groups {
		if g.Type != DiffTypeNone {
			return true
		}
	}
	return false
}

// groupNames lists the task groups of both jobs: old's order, then new ones.
func groupNames(old, new *Job) []string {
	var names []string
	seen := map[string]bool{}
	for _, j := range []*Job{old, new} {
		if j == nil {
			continue
		}
		for _, tg := range j.TaskGroups {
			if tg != nil && !seen[tg.Name] {
				seen[tg.Name] = true
				names = append(names, tg.Name)
			}
		}
	}
	return names
}

func diffTaskGroup(old, new *TaskGroup) *TaskGroupDiff {
	d := &TaskGroupDiff{Type: addedDeleted(old == nil, new == nil)}
	d.Fields, d.Objects = diffStruct(valueOf(old), valueOf(new), diffSkipGroup)
	destructive := old != nil && new != nil && TaskGroupSpecChanged(old, new)
	for _, f := range d.Fields {
		if f.Name == "Count" && f.Type == DiffTypeEdited {
			var o, n int
			fmt.Sscan(f.Old, &o)
			fmt.Sscan(f.New, &n)
			if n > o {
				f.Annotations = []string{AnnotationForcesCreate}
			} else {
				f.Annotations = []string{AnnotationForcesDestroy}
			}
		}
	}
	var oldTasks, newTasks []*Task
	if old != nil {
		oldTasks = old.Tasks
	}
	if new != nil {
		newTasks = new.Tasks
	}
	for _, name := range taskNames(oldTasks, newTasks) {
		ot, nt := old.LookupTask(name), new.LookupTask(name)
		td := &TaskDiff{Type: addedDeleted(ot == nil, nt == nil), Name: name}
		td.Fields, td.Objects = diffStruct(valueOf(ot), valueOf(nt), diffSkipTask)
		switch {
		case td.Type == DiffTypeAdded:
			td.Annotations = []string{AnnotationForcesCreate}
		case td.Type == DiffTypeDeleted:
			td.Annotations = []string{AnnotationForcesDestroy}
		case len(td.Fields) > 0 || len(td.Objects) > 0:
			td.Type = DiffTypeEdited
			if destructive {
				td.Annotations = []string{AnnotationForcesDestructiveUpdate}
			} else {
				td.Annotations = []string{AnnotationForcesInplaceUpdate}
			}
		}
		d.Tasks = append(d.Tasks, td)
	}
	if d.Type == DiffTypeNone && (len(d.Fields) > 0 || len(d.Objects) > 0 || anyTaskChanged(d.Tasks)) {
		d.Type = DiffTypeEdited
	}
	return d
}

func anyTaskChanged(tasks []*TaskDiff) bool {
	for _, t := range tasks {
		if t.Type != DiffTypeNone {
			return true
		}
	}
	return false
}

func taskNames(lists ...[]*Task) []string {
	var names []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, t := range l {
			if t != nil && !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
		}
	}
	return names
}

// addedDeleted is the type of an object present on one side only, else None.
func addedDeleted(oldNil, newNil bool) DiffType {
	switch {
	case oldNil && !newNil:
		return DiffTypeAdded
	case newNil && !oldNil:
		return DiffTypeDeleted
	}
	return DiffTypeNone
}

// valueOf dereferences a struct pointer; nil gives the invalid Value.
func valueOf(p interface{}) reflect.Value {
	v := reflect.ValueOf(p)
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// diffStruct compares two structs of the same type (either may be the
// invalid Value: absent) field by field. Scalars become fields; nested
// structs, lists of structs and driver configs become objects; string maps
// (Env, Meta) become fields named "Env[KEY]"; string lists become an object
// of added and removed values.
func diffStruct(old, new reflect.Value, skip map[string]bool) ([]*FieldDiff, []*ObjectDiff) {
	t := typeOf(old, new)
	if t == nil {
		return nil, nil
	}
	var fields []*FieldDiff
	var objects []*ObjectDiff
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() || skip[sf.Name] {
			continue
		}
		of, nf := fieldOf(old, i), fieldOf(new, i)
		fs, os := diffValue(sf.Name, sf.Type, of, nf)
		fields = append(fields, fs...)
		objects = append(objects, os...)
	}
	return fields, objects
}

func typeOf(old, new reflect.Value) reflect.Type {
	if old.IsValid() {
		return old.Type()
	}
	if new.IsValid() {
		return new.Type()
	}
	return nil
}

func fieldOf(v reflect.Value, i int) reflect.Value {
	if !v.IsValid() {
		return reflect.Value{}
	}
	return v.Field(i)
}

var durationType = reflect.TypeOf(time.Duration(0))

// diffValue compares one field's values; an invalid Value is absent.
func diffValue(name string, t reflect.Type, old, new reflect.Value) ([]*FieldDiff, []*ObjectDiff) {
	if t.Kind() == reflect.Pointer && t.Elem().Kind() != reflect.Struct {
		return diffValue(name, t.Elem(), deref(old), deref(new))
	}
	switch {
	case isScalar(t):
		if f := diffScalar(name, old, new); f != nil {
			return []*FieldDiff{f}, nil
		}
	case t.Kind() == reflect.Struct || (t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct):
		if o := diffObject(objectName(name), deref(old), deref(new)); o != nil {
			return nil, []*ObjectDiff{o}
		}
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String:
		return diffFlat(name, flatten(old), flatten(new), true), nil
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Interface:
		if fs := diffFlat("", flatten(old), flatten(new), false); len(fs) > 0 {
			return nil, []*ObjectDiff{{Type: objectType(old, new), Name: name, Fields: fs}}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Map) && isScalar(t.Elem()):
		if o := diffSet(name, old, new); o != nil {
			return nil, []*ObjectDiff{o}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Map:
		return nil, diffList(objectName(elemName(name, t)), old, new)
	}
	return nil, nil
}

func deref(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

func isScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// scalarText formats a scalar; durations as Go durations ("30s").
func scalarText(v reflect.Value) string {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	return fmt.Sprint(v.Interface())
}

// diffScalar compares two scalars; a zero value on an absent side is not
// shown, so adding a block lists only the fields it sets.
func diffScalar(name string, old, new reflect.Value) *FieldDiff {
	o, n := "", ""
	if old.IsValid() && !old.IsZero() {
		o = scalarText(old)
	}
	if new.IsValid() && !new.IsZero() {
		n = scalarText(new)
	}
	if o == n {
		return nil
	}
	f := &FieldDiff{Type: DiffTypeEdited, Name: name, Old: o, New: n}
	switch {
	case o == "":
		f.Type = DiffTypeAdded
	case n == "":
		f.Type = DiffTypeDeleted
	}
	return f
}

// diffObject compares two structs as one named object, nil when equal.
func diffObject(name string, old, new reflect.Value) *ObjectDiff {
	fs, os := diffStruct(old, new, nil)
	if len(fs) == 0 && len(os) == 0 {
		if old.IsValid() != new.IsValid() {
			return &ObjectDiff{Type: addedDeleted(!old.IsValid(), !new.IsValid()), Name: name}
		}
		return nil
	}
	t := addedDeleted(!old.IsValid(), !new.IsValid())
	if t == DiffTypeNone {
		t = DiffTypeEdited
	}
	return &ObjectDiff{Type: t, Name: name, Fields: fs, Objects: os}
}

// objectType is Added or Deleted when one side is empty, else Edited.
func objectType(old, new reflect.Value) DiffType {
	oe, ne := !old.IsValid() || old.Len() == 0, !new.IsValid() || new.Len() == 0
	switch {
	case oe && !ne:
		return DiffTypeAdded
	case ne && !oe:
		return DiffTypeDeleted
	}
	return DiffTypeEdited
}

// diffSet compares lists (or map keys) of scalars as sets: an object named
// name with one field per added or removed value.
func diffSet(name string, old, new reflect.Value) *ObjectDiff {
	os, ns := scalarSet(old), scalarSet(new)
	var fs []*FieldDiff
	for _, k := range sortedSetKeys(os, ns) {
		switch {
		case os[k] && !ns[k]:
			fs = append(fs, &FieldDiff{Type: DiffTypeDeleted, Name: name, Old: k})
		case ns[k] && !os[k]:
			fs = append(fs, &FieldDiff{Type: DiffTypeAdded, Name: name, New: k})
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return &ObjectDiff{Type: objectType(old, new), Name: name, Fields: fs}
}

func scalarSet(v reflect.Value) map[string]bool {
	out := map[string]bool{}
	if !v.IsValid() {
		return out
	}
	if v.Kind() == reflect.Map {
		for _, k := range v.MapKeys() {
			out[scalarText(k)] = true
		}
		return out
	}
	for i := 0; i < v.Len(); i++ {
		out[scalarText(v.Index(i))] = true
	}
	return out
}

func sortedSetKeys(a, b map[string]bool) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if !a[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// diffList compares lists (or maps) of structs. Elements with a Name,
// Label or Volume field (or map keys) are matched by it and diffed field by
// field; others match only when equal, so a changed constraint shows as one
// deleted and one added.
func diffList(name string, old, new reflect.Value) []*ObjectDiff {
	om, oorder := keyedElems(old)
	nm, norder := keyedElems(new)
	var out []*ObjectDiff
	for _, k := range mergeOrder(oorder, norder) {
		if o := diffObject(name, om[k], nm[k]); o != nil {
			out = append(out, o)
		}
	}
	return out
}

// keyedElems indexes a list or map of structs by element key.
func keyedElems(v reflect.Value) (map[string]reflect.Value, []string) {
	out := map[string]reflect.Value{}
	var order []string
	if !v.IsValid() {
		return out, nil
	}
	add := func(k string, e reflect.Value) {
		if e = deref(e); !e.IsValid() {
			return
		}
		if _, dup := out[k]; dup {
			k = fmt.Sprintf("%s#%d", k, len(order))
		}
		out[k] = e
		order = append(order, k)
	}
	if v.Kind() == reflect.Map {
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			add(k.String(), v.MapIndex(k))
		}
		return out, order
	}
	for i := 0; i < v.Len(); i++ {
		e := deref(v.Index(i))
		add(elemKey(e), e)
	}
	return out, order
}

// elemKey identifies a list element: its Name, Label or Volume, else its
// whole value.
func elemKey(e reflect.Value) string {
	if !e.IsValid() {
		return ""
	}
	if e.Kind() == reflect.Struct {
		for _, f := range []string{"Name", "Label", "Volume"} {
			if fv := e.FieldByName(f); fv.IsValid() && fv.Kind() == reflect.String && fv.String() != "" {
				return f + "=" + fv.String()
			}
		}
	}
	return fmt.Sprintf("%+v", e.Interface())
}

func mergeOrder(a, b []string) []string {
	out := append([]string(nil), a...)
	seen := map[string]bool{}
	for _, k := range a {
		seen[k] = true
	}
	for _, k := range b {
		if !seen[k] {
			out = append(out, k)
		}
	}
	return out
}

// objectName is how Nomad names a nested block: singular, e.g. the
// Constraints list holds "Constraint" objects.
func objectName(name string) string {
	if name == "NetworkResource" || name == "Networks" {
		return "Network"
	}
	return name
}

// elemName names the objects of a list field by the element type.
func elemName(field string, t reflect.Type) string {
	et := t.Elem()
	for et.Kind() == reflect.Pointer {
		et = et.Elem()
	}
	if et.Name() != "" {
		return et.Name()
	}
	return strings.TrimSuffix(field, "s")
}

// flatten turns a map (possibly nested, as driver configs are) into
// "key", "key[0]", "key.sub" paths with text values.
func flatten(v reflect.Value) map[string]string {
	out := map[string]string{}
	flattenInto(out, "", v)
	return out
}

func flattenInto(out map[string]string, prefix string, v reflect.Value) {
	v = deref(v)
	if !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Map:
		for _, k := range v.MapKeys() {
			key := fmt.Sprint(k.Interface())
			if prefix != "" {
				key = prefix + "." + key
			}
			flattenInto(out, key, v.MapIndex(k))
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			flattenInto(out, fmt.Sprintf("%s[%d]", prefix, i), v.Index(i))
		}
	default:
		out[prefix] = fmt.Sprint(v.Interface())
	}
}

// diffFlat compares flattened maps key by key. With bracket the fields are
// named "name[key]" (Env, Meta), else by the key alone (inside an object).
func diffFlat(name string, old, new map[string]string, bracket bool) []*FieldDiff {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range new {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []*FieldDiff
	for _, k := range sorted {
		o, ook := old[k]
		n, nok := new[k]
		field := k
		if bracket {
			field = name + "[" + k + "]"
		}
		switch {
		case ook && !nok:
			out = append(out, &FieldDiff{Type: DiffTypeDeleted, Name: field, Old: o})
		case nok && !ook:
			out = append(out, &FieldDiff{Type: DiffTypeAdded, Name: field, New: n})
		case o != n:
			out = append(out, &FieldDiff{Type: DiffTypeEdited, Name: field, Old: o, New: n})
		}
	}
	return out
}
