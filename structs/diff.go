package structs

import "reflect"

// LookupTaskGroup returns the job's task group called name, or nil.
func (j *Job) LookupTaskGroup(name string) *TaskGroup {
	if j == nil {
		return nil
	}
	for _, tg := range j.TaskGroups {
		if tg != nil && tg.Name == name {
			return tg
		}
	}
	return nil
}

// LookupTask returns the group's task called name, or nil.
func (tg *TaskGroup) LookupTask(name string) *Task {
	if tg == nil {
		return nil
	}
	for _, t := range tg.Tasks {
		if t != nil && t.Name == name {
			return t
		}
	}
	return nil
}

// jobBookkeepingFields are the Job fields the servers set; they are not part
// of what the user specified.
var jobBookkeepingFields = map[string]bool{
	"Status": true, "StatusDescription": true, "Stable": true, "Version": true,
	"SubmitTime": true, "CreateIndex": true, "ModifyIndex": true, "JobModifyIndex": true,
}

// SpecChanged reports whether other differs from j in what the user
// specified, ignoring the fields the servers maintain (status, stability,
// version, submit time and Raft indexes). Nil and empty maps or slices are
// equal, and so are numbers of different types with the same value in a
// driver config (JSON and msgpack decode them differently).
func (j *Job) SpecChanged(other *Job) bool {
	if j == nil || other == nil {
		return j != other
	}
	a, b := reflect.ValueOf(j).Elem(), reflect.ValueOf(other).Elem()
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		if jobBookkeepingFields[t.Field(i).Name] {
			continue
		}
		if !specEqual(a.Field(i), b.Field(i)) {
			return true
		}
	}
	return false
}

// TaskGroupSpecChanged reports whether going from group a to group b needs a
// destructive update: the allocations must be replaced rather than updated
// in place. Count, update, migrate, restart and reschedule policies, kill
// timeouts, shutdown delays and services change in place; anything that
// alters what runs, with what, or where it may be placed (tasks, drivers,
// config, env, meta, user, resources, networks, volumes, ephemeral disk,
// templates, constraints, affinities, spreads) is destructive.
func TaskGroupSpecChanged(a, b *TaskGroup) bool {
	if a == nil || b == nil {
		return a != b
	}
	if groupChanged(a, b) || len(a.Tasks) != len(b.Tasks) {
		return true
	}
	for _, at := range a.Tasks {
		bt := b.LookupTask(at.Name)
		if bt == nil || taskChanged(at, bt) {
			return true
		}
	}
	return false
}

func groupChanged(a, b *TaskGroup) bool {
	return !equalAll(
		pair{a.Networks, b.Networks},
		pair{a.Volumes, b.Volumes},
		pair{a.EphemeralDisk, b.EphemeralDisk},
		pair{a.Meta, b.Meta},
		pair{a.Constraints, b.Constraints},
		pair{a.Affinities, b.Affinities},
		pair{a.Spreads, b.Spreads},
	)
}

func taskChanged(a, b *Task) bool {
	return !equalAll(
		pair{a.Driver, b.Driver},
		pair{a.User, b.User},
		pair{a.Config, b.Config},
		pair{a.Env, b.Env},
		pair{a.Meta, b.Meta},
		pair{a.Resources, b.Resources},
		pair{a.LogConfig, b.LogConfig},
		pair{a.Templates, b.Templates},
		pair{a.VolumeMounts, b.VolumeMounts},
		pair{a.Lifecycle, b.Lifecycle},
		pair{a.Constraints, b.Constraints},
		pair{a.Affinities, b.Affinities},
		pair{a.KillSignal, b.KillSignal},
		pair{a.Leader, b.Leader},
	)
}

// pair is two values of the same type to compare.
type pair struct{ a, b interface{} }

func equalAll(ps ...pair) bool {
	for _, p := range ps {
		if !specEqual(reflect.ValueOf(p.a), reflect.ValueOf(p.b)) {
			return false
		}
	}
	return true
}

// specEqual is reflect.DeepEqual with two relaxations for comparing specs
// that may have been through an encoder: a nil map or slice equals an empty
// one, and numbers compare by value whatever their Go type.
func specEqual(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Kind() == reflect.Interface || b.Kind() == reflect.Interface {
		return specEqual(unwrapInterface(a), unwrapInterface(b))
	}
	if fa, ok := numberOf(a); ok {
		fb, ok := numberOf(b)
		return ok && fa == fb
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return specEqual(a.Elem(), b.Elem())
	case reflect.Struct:
		return structEqual(a, b)
	case reflect.Slice, reflect.Array:
		return listEqual(a, b)
	case reflect.Map:
		return mapEqual(a, b)
	}
	return a.Interface() == b.Interface()
}

func unwrapInterface(v reflect.Value) reflect.Value {
	for v.IsValid() && v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	return v
}

// numberOf returns v as a float64 when it is an integer or a float.
func numberOf(v reflect.Value) (float64, bool) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	}
	return 0, false
}

func structEqual(a, b reflect.Value) bool {
	for i := 0; i < a.NumField(); i++ {
		if !a.Type().Field(i).IsExported() {
			continue
		}
		if !specEqual(a.Field(i), b.Field(i)) {
			return false
		}
	}
	return true
}

func listEqual(a, b reflect.Value) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i := 0; i < a.Len(); i++ {
		if !specEqual(a.Index(i), b.Index(i)) {
			return false
		}
	}
	return true
}

func mapEqual(a, b reflect.Value) bool {
	if a.Len() != b.Len() {
		return false
	}
	iter := a.MapRange()
	for iter.Next() {
		bv := b.MapIndex(iter.Key())
		if !bv.IsValid() || !specEqual(iter.Value(), bv) {
			return false
		}
	}
	return true
}
