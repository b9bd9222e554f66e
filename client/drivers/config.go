package drivers

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The job's `config` block arrives as map[string]interface{} decoded from
// HCL, JSON or msgpack, so numbers may be int, int64, uint64, float64 or
// strings. These helpers accept every form and name the key in errors.

// ConfigString returns a string option ("" when absent).
func ConfigString(cfg map[string]interface{}, key string) (string, error) {
	v, ok := cfg[key]
	if !ok || v == nil {
		return "", nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("config %q: got %T, want a string", key, v)
}

// ConfigInt returns an integer option (0 when absent).
func ConfigInt(cfg map[string]interface{}, key string) (int, error) {
	v, ok := cfg[key]
	if !ok || v == nil {
		return 0, nil
	}
	switch x := v.(type) {
	case int:
		return x, nil
	case int8:
		return int(x), nil
	case int16:
		return int(x), nil
	case int32:
		return int(x), nil
	case int64:
		return int(x), nil
	case uint8:
		return int(x), nil
	case uint16:
		return int(x), nil
	case uint32:
		return int(x), nil
	case uint64:
		return int(x), nil
	case float64:
		return int(x), nil
	case float32:
		return int(x), nil
	case string:
		n, err := strconv.Atoi(x)
		if err != nil {
			return 0, fmt.Errorf("config %q: %q is not an integer", key, x)
		}
		return n, nil
	}
	return 0, fmt.Errorf("config %q: got %T, want an integer", key, v)
}

// ConfigDuration returns a duration option given as "10s" or as nanoseconds.
func ConfigDuration(cfg map[string]interface{}, key string) (time.Duration, error) {
	v, ok := cfg[key]
	if !ok || v == nil {
		return 0, nil
	}
	if s, ok := v.(string); ok {
		if s == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("config %q: %q is not a duration like \"10s\"", key, s)
		}
		return d, nil
	}
	n, err := ConfigInt(cfg, key)
	return time.Duration(n), err
}

// ConfigStringList returns a list of strings option.
func ConfigStringList(cfg map[string]interface{}, key string) ([]string, error) {
	v, ok := cfg[key]
	if !ok || v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case []string:
		return append([]string(nil), x...), nil
	case []interface{}:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("config %q[%d]: got %T, want a string", key, i, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("config %q: got %T, want a list of strings", key, v)
}

// ParseSignal turns "SIGTERM", "TERM", "sigterm" or "15" into a signal.
// Empty gives def.
func ParseSignal(name string, def syscall.Signal) (syscall.Signal, error) {
	if name == "" {
		return def, nil
	}
	if n, err := strconv.Atoi(name); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	up := strings.ToUpper(name)
	if !strings.HasPrefix(up, "SIG") {
		up = "SIG" + up
	}
	if s, ok := signals[up]; ok {
		return s, nil
	}
	return 0, fmt.Errorf("unknown signal %q: use a name like SIGTERM or SIGINT", name)
}

var signals = map[string]syscall.Signal{
	"SIGABRT": syscall.SIGABRT, "SIGALRM": syscall.SIGALRM, "SIGCHLD": syscall.SIGCHLD,
	"SIGCONT": syscall.SIGCONT, "SIGHUP": syscall.SIGHUP, "SIGINT": syscall.SIGINT,
	"SIGIO": syscall.SIGIO, "SIGKILL": syscall.SIGKILL, "SIGPIPE": syscall.SIGPIPE,
	"SIGPROF": syscall.SIGPROF, "SIGQUIT": syscall.SIGQUIT, "SIGSTOP": syscall.SIGSTOP,
	"SIGSYS": syscall.SIGSYS, "SIGTERM": syscall.SIGTERM, "SIGTRAP": syscall.SIGTRAP,
	"SIGTSTP": syscall.SIGTSTP, "SIGTTIN": syscall.SIGTTIN, "SIGTTOU": syscall.SIGTTOU,
	"SIGURG": syscall.SIGURG, "SIGUSR1": syscall.SIGUSR1, "SIGUSR2": syscall.SIGUSR2,
	"SIGWINCH": syscall.SIGWINCH, "SIGXCPU": syscall.SIGXCPU, "SIGXFSZ": syscall.SIGXFSZ,
}
