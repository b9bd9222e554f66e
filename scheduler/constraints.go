package scheduler

import (
	"regexp"
	"strconv"
	"strings"

	version "github.com/hashicorp/go-version"

	"github.com/droverhq/drover/structs"
)

// constraintChecker evaluates constraint and affinity operators against a
// node. It caches what is costly to parse (regexps, version constraints),
// keyed by the right-hand side; a nil entry records a parse failure, which
// never matches.
type constraintChecker struct {
	regexps  map[string]*regexp.Regexp
	versions map[string]version.Constraints
}

func newConstraintChecker() *constraintChecker {
	return &constraintChecker{regexps: map[string]*regexp.Regexp{}, versions: map[string]version.Constraints{}}
}

// constraintKey is how a constraint is named in failure metrics, e.g.
// "${attr.kernel.name} = windows".
func constraintKey(c *structs.Constraint) string {
	return strings.TrimSpace(strings.Join([]string{c.LTarget, operand(c.Operand), c.RTarget}, " "))
}

// operand defaults an empty operand to equality, as job files do.
func operand(op string) string {
	if op == "" {
		return "="
	}
	return op
}

// resolveTarget interpolates a constraint target against a node. A target
// that is not a ${...} reference is a literal. ok is false when the node
// lacks the referenced attribute.
func resolveTarget(target string, n *structs.Node) (string, bool) {
	if !strings.HasPrefix(target, "${") || !strings.HasSuffix(target, "}") {
		return target, true
	}
	ref := target[2 : len(target)-1]
	switch ref {
	case "node.unique.id":
		return n.ID, true
	case "node.unique.name":
		return n.Name, true
	case "node.datacenter":
		return n.Datacenter, true
	case "node.class":
		return n.NodeClass, true
	case "node.pool":
		return nodePool(n), true
	}
	if k, ok := strings.CutPrefix(ref, "attr."); ok {
		v, ok := n.Attributes[k]
		return v, ok
	}
	if k, ok := strings.CutPrefix(ref, "meta."); ok {
		v, ok := n.Meta[k]
		return v, ok
	}
	return "", false
}

// escapesClass reports whether a target depends on more than the node's
// computed class (which leaves out the node's ID, name and every "unique."
// attribute or meta key), so class eligibility cannot speak for it.
func escapesClass(target string) bool {
	for _, p := range []string{"${node.unique.", "${attr." + structs.UniqueNamespacePrefix, "${meta." + structs.UniqueNamespacePrefix} {
		if strings.Contains(target, p) {
			return true
		}
	}
	return false
}

// matches reports whether the node satisfies "ltarget operand rtarget".
func (cc *constraintChecker) matches(lTarget, op, rTarget string, n *structs.Node) bool {
	l, lok := resolveTarget(lTarget, n)
	r, rok := resolveTarget(rTarget, n)
	switch operand(op) {
	case structs.ConstraintAttributeIsSet:
		return lok
	case structs.ConstraintAttributeNotSet:
		return !lok
	case "!=", "not":
		// A node without the attribute is not equal to the value.
		return !lok || !rok || l != r
	}
	if !lok || !rok {
		return false
	}
	return cc.compare(operand(op), l, r)
}

// compare applies a binary operator to resolved values.
func (cc *constraintChecker) compare(op, l, r string) bool {
	switch op {
	case "=", "==", "is":
		return l == r
	case "<", "<=", ">", ">=":
		return ordered(op, l, r)
	case structs.ConstraintRegex:
		re := cc.regexp(r)
		return re != nil && re.MatchString(l)
	case structs.ConstraintVersion:
		return cc.versionMatch(l, r, parseVersion)
	case structs.ConstraintSemver:
		return cc.versionMatch(l, r, version.NewSemver)
	case structs.ConstraintSetContains, structs.ConstraintSetContainsAll:
		have := setOf(l)
		for _, want := range strings.Split(r, ",") {
			if !have[strings.TrimSpace(want)] {
				return false
			}
		}
		return true
	case structs.ConstraintSetContainsAny:
		have := setOf(l)
		for _, want := range strings.Split(r, ",") {
			if have[strings.TrimSpace(want)] {
				return true
			}
		}
		return false
	}
	return false // unknown operands never match; validation rejects them earlier
}

// ordered compares numerically when both sides are numbers, else lexically.
func ordered(op, l, r string) bool {
	c := strings.Compare(l, r)
	lf, lerr := strconv.ParseFloat(l, 64)
	rf, rerr := strconv.ParseFloat(r, 64)
	if lerr == nil && rerr == nil {
		switch {
		case lf < rf:
			c = -1
		case lf > rf:
			c = 1
		default:
			c = 0
		}
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func setOf(list string) map[string]bool {
	s := map[string]bool{}
	for _, v := range strings.Split(list, ",") {
		s[strings.TrimSpace(v)] = true
	}
	return s
}

func (cc *constraintChecker) regexp(expr string) *regexp.Regexp {
	re, ok := cc.regexps[expr]
	if !ok {
		re, _ = regexp.Compile(expr) // nil on error: never matches
		cc.regexps[expr] = re
	}
	return re
}

// versionMatch checks a node's version string against a constraint such as
// ">= 1.2, < 2". parse decides how strict the version syntax is.
func (cc *constraintChecker) versionMatch(v, constraint string, parse func(string) (*version.Version, error)) bool {
	cs, ok := cc.versions[constraint]
	if !ok {
		cs, _ = version.NewConstraint(constraint)
		cc.versions[constraint] = cs
	}
	if cs == nil {
		return false
	}
	ver, err := parse(v)
	return err == nil && cs.Check(ver)
}

// parseVersion accepts loose versions ("1.2", "v1.2.3-beta").
func parseVersion(v string) (*version.Version, error) { return version.NewVersion(v) }
