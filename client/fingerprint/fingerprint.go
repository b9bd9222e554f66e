// Package fingerprint learns what a client node is: its CPU, memory, disk,
// kernel and OS, host name and network address, and its persistent
// identity. The results fill a structs.Node's Attributes and NodeResources,
// which the scheduler's constraints and bin packing read.
//
// Every fingerprinter reads files under Env.ProcRoot, Env.SysRoot and
// Env.EtcRoot, so tests can point them at fixtures.
package fingerprint

import (
	"errors"
	"fmt"

	"github.com/droverhq/drover/structs"
)

// Env is what the fingerprinters may look at.
type Env struct {
	DataDir          string
	NetworkInterface string // "" = the default route's interface
	Version          string // drover's version, advertised as drover.version
	ProcRoot         string // "/proc" when empty
	SysRoot          string // "/sys" when empty
	EtcRoot          string // "/etc" when empty
}

func (e *Env) proc(p string) string { return orDefault(e.ProcRoot, "/proc") + "/" + p }
func (e *Env) sys(p string) string  { return orDefault(e.SysRoot, "/sys") + "/" + p }
func (e *Env) etc(p string) string  { return orDefault(e.EtcRoot, "/etc") + "/" + p }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Func fills in part of a node. It sets Attributes and NodeResources only.
type Func func(e *Env, n *structs.Node) error

// Named is a fingerprinter with its name, for error messages.
type Named struct {
	Name string
	Func Func
}

// All lists the fingerprinters in the order they run.
func All() []Named {
	return []Named{
		{"arch", Arch}, {"cpu", CPU}, {"memory", Memory}, {"storage", Storage},
		{"kernel", Kernel}, {"host", Host}, {"network", Network}, {"drover", Version},
	}
}

// Node runs every fingerprinter on n (which must have Attributes and
// NodeResources set). A failing fingerprinter is reported but the others
// still run, because a node missing one attribute is still useful.
func Node(e *Env, n *structs.Node) error {
	if n.Attributes == nil {
		n.Attributes = map[string]string{}
	}
	if n.NodeResources == nil {
		n.NodeResources = &structs.NodeResources{}
	}
	var errs []error
	for _, f := range All() {
		if err := f.Func(e, n); err != nil {
			errs = append(errs, fmt.Errorf("fingerprint %s: %w", f.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Version advertises drover's version, and nomad.version as an alias so
// Nomad job files constraining on ${attr.nomad.version} still match.
func Version(e *Env, n *structs.Node) error {
	v := orDefault(e.Version, "0.0.0-dev")
	n.Attributes["drover.version"] = v
	n.Attributes["nomad.version"] = v
	return nil
}
