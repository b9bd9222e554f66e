package mock

import (
	"testing"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/drivers/driverstest"
)

func TestConformance(t *testing.T) {
	driverstest.Run(t, driverstest.Harness{
		New: func(*testing.T) drivers.Driver { return New(nil) },
		ExitWith: func(code int) map[string]interface{} {
			return map[string]interface{}{"run_for": "10ms", "exit_code": code, "stdout_string": "hi\n"}
		},
		RunLong: func() map[string]interface{} { return map[string]interface{}{"run_for": "1h"} },
		IgnoreTerm: func() map[string]interface{} {
			return map[string]interface{}{"run_for": "1h", "kill_after": "1h", "stdout_string": "ready\n"}
		},
		RecoveredExitKnown: true,
	})
}

func TestStartError(t *testing.T) {
	d := New(nil)
	tc := driverstest.TaskConfig(t, "bad", map[string]interface{}{"start_error": "boom"})
	if _, err := d.StartTask(tc); err == nil || err.Error() != "boom" {
		t.Fatalf("got %v, want error boom", err)
	}
}
