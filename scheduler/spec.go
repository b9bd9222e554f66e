package scheduler

import (
	"reflect"

	"github.com/droverhq/drover/structs"
)

// groupSpecEqual reports whether two versions of a task group would run the
// same tasks the same way. It compares copies with the scheduling-only
// fields cleared: changing those must not restart anything.
func groupSpecEqual(a, b *structs.TaskGroup) bool {
	return reflect.DeepEqual(runSpec(a), runSpec(b))
}

// runSpec is the part of a group that decides how its tasks run.
func runSpec(tg *structs.TaskGroup) structs.TaskGroup {
	c := *tg
	c.Count = 0
	c.Constraints, c.Affinities, c.Spreads = nil, nil, nil
	c.Update, c.Migrate, c.ReschedulePolicy = nil, nil, nil
	c.Tasks = make([]*structs.Task, len(tg.Tasks))
	for i, t := range tg.Tasks {
		if t == nil {
			continue
		}
		tc := *t
		tc.Constraints, tc.Affinities = nil, nil
		c.Tasks[i] = &tc
	}
	return c
}

func equalStringMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
