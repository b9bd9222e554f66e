package scheduler

import (
	"regexp"
	"testing"
)

func TestUUIDSource(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	var u uuidSource
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ { // crosses the 256-ID buffer refill
		id := u.next()
		if !re.MatchString(id) {
			t.Fatalf("uuid %q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("uuid %q handed out twice", id)
		}
		seen[id] = true
	}
}
