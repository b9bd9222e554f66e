package fingerprint

import (
	"bufio"
	"os"
	"strings"
	"syscall"

	"github.com/droverhq/drover/structs"
)

// Kernel sets kernel.name, kernel.version (release), os.name and os.version
// (from os-release's ID and VERSION_ID).
func Kernel(e *Env, n *structs.Node) error {
	n.Attributes["kernel.name"] = "linux"
	var u syscall.Utsname
	if err := syscall.Uname(&u); err == nil {
		n.Attributes["kernel.version"] = utsString(u.Release[:])
		n.Attributes["kernel.arch"] = utsString(u.Machine[:])
	}
	rel, err := osRelease(e.etc("os-release"))
	if err != nil {
		return err
	}
	if v := rel["ID"]; v != "" {
		n.Attributes["os.name"] = v
	}
	if v := rel["VERSION_ID"]; v != "" {
		n.Attributes["os.version"] = v
	}
	if v := rel["PRETTY_NAME"]; v != "" {
		n.Attributes["os.pretty_name"] = v
	}
	return nil
}

func utsString(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

func osRelease(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), "=")
		if ok {
			out[k] = strings.Trim(v, `"'`)
		}
	}
	return out, s.Err()
}

// Host sets unique.hostname.
func Host(_ *Env, n *structs.Node) error {
	h, err := os.Hostname()
	if err != nil {
		return err
	}
	n.Attributes["unique.hostname"] = h
	return nil
}
