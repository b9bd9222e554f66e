package jobspec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// nomadOnlyBlocks are Nomad job-spec blocks that drover does not support.
var nomadOnlyBlocks = map[string]bool{
	"artifact": true, "vault": true, "consul": true, "multiregion": true,
	"scaling": true, "disconnect": true, "device": true, "identity": true,
	"dispatch_payload": true, "csi_plugin": true, "ui": true, "action": true,
	"secret": true, "connect": true, "check_restart": true, "dns": true,
	"numa": true, "schedule": true, "sidecar_service": true, "sidecar_task": true,
	"header": true, "wait": true, "change_script": true, "gateway": true,
}

// nomadOnlyArgs are Nomad job-spec arguments that drover does not support.
var nomadOnlyArgs = map[string]bool{
	"max_client_disconnect": true, "stop_after_client_disconnect": true,
	"prevent_reschedule_on_lost": true, "max_run_duration": true, "kind": true,
	"vault_token": true, "consul_token": true, "consul_namespace": true,
	"canary_tags": true, "canary_meta": true, "enable_tag_override": true,
	"address_mode": true, "address": true, "tagged_addresses": true, "on_update": true,
	"initial_status": true, "method": true, "body": true, "grpc_service": true,
	"grpc_use_tls": true, "tls_skip_verify": true, "tls_server_name": true, "expose": true,
	"success_before_passing": true, "failures_before_critical": true,
	"failures_before_warning": true, "per_alloc": true,
	"access_mode": true, "attachment_mode": true, "mount_options": true,
	"propagation_mode": true, "selinux_label": true, "uid": true, "gid": true,
	"error_on_missing_key": true, "hostname": true, "vault_grace": true,
}

var (
	unsupportedBlock = regexp.MustCompile(`^Blocks of type "([^"]+)" are not expected here`)
	unsupportedArg   = regexp.MustCompile(`^An argument named "([^"]+)" is not expected here`)
)

// explainUnsupported rewrites "not expected here" diagnostics about Nomad
// features drover lacks, so the message says so.
func explainUnsupported(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if m := unsupportedBlock.FindStringSubmatch(d.Detail); m != nil && nomadOnlyBlocks[m[1]] {
			d.Detail = fmt.Sprintf("Blocks of type %q are not expected here: drover does not support Nomad's %s block; remove it from the job file.", m[1], m[1])
		}
		if m := unsupportedArg.FindStringSubmatch(d.Detail); m != nil && nomadOnlyArgs[m[1]] {
			d.Detail = fmt.Sprintf("An argument named %q is not expected here: drover does not support Nomad's %s argument in this block; remove it from the job file.", m[1], m[1])
		}
	}
	return diags
}

// sortedKeys returns m's keys in order, so diagnostics come out in a
// stable order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// hintUnknownVariables adds how to pass an interpolation through to the
// task to "Unknown variable" diagnostics.
func hintUnknownVariables(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary == "Unknown variable" && !strings.Contains(d.Detail, "$${") {
			d.Detail += " Variables are var.<name> and local.<name>; to leave ${...} for the task to see, write $${...}."
		}
		undeclaredReference(d)
	}
	return diags
}

// undeclaredReference rewords HCL's "This object does not have an
// attribute named ..." for var.x and local.x, which means the variable or
// local was never declared.
func undeclaredReference(d *hcl.Diagnostic) {
	if d.Summary != "Unsupported attribute" {
		return
	}
	st, ok := d.Expression.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(st.Traversal) < 2 {
		return
	}
	attr, ok := st.Traversal[1].(hcl.TraverseAttr)
	if !ok {
		return
	}
	switch st.Traversal.RootName() {
	case "var":
		d.Summary = "Undeclared variable"
		d.Detail = fmt.Sprintf("There is no variable named %q; declare it with a variable %q { ... } block.", attr.Name, attr.Name)
	case "local":
		d.Summary = "Undeclared local value"
		d.Detail = fmt.Sprintf("There is no local value named %q; define it in a locals { ... } block.", attr.Name)
	}
}
