// Package jobspec turns job files into *api.Job values.
//
// A job file is either Nomad's HCL2 job specification or a JSON job in
// Nomad's API shape ({"Job": {...}} or a bare job object). Parse detects
// which one it got.
//
// HCL flow:
//
//	bytes -> hclsyntax.ParseConfig (or HCL's JSON syntax: {"job": {...}})
//	      -> dynblock.Expand (dynamic "x" { for_each ... content {} } blocks)
//	      -> top level: variable, locals, job
//	      -> variables: default < NOMAD_VAR_x < DROVER_VAR_x < -var-file
//	         < VarContent < -var
//	      -> locals (in dependency order) -> job/group/task blocks -> *api.Job
//
// Each block has a fixed schema (schema(...) in the file of its concept),
// so an unknown argument or block is an error that names it; Nomad features
// drover lacks (vault, artifact, scaling ...) are named as such.
//
// Words used here:
//
//   - runtime reference: an interpolation the client resolves when it starts a
//     task, such as ${NOMAD_PORT_http}, ${attr.kernel.name}, ${node.unique.name},
//     ${meta.rack} or ${env.HOME}. Expressions whose root is node, attr, meta,
//     env, or an upper-case name (NOMAD_*, DROVER_*, any other environment
//     variable name) are not resolved by jobspec: they evaluate to their own
//     text, so "${attr.kernel.name}" stays exactly that string.
//   - free-form block: a task's config {}; it decodes to map[string]interface{},
//     with integral numbers as int and nested blocks as lists of maps (as
//     Nomad's HCL1 parser did).
//
// Every problem becomes one hcl.Diagnostic with the file, line and column; a
// failed parse returns *Error holding all of them.
//
// jobspec fills in only what the file says, plus the defaults the api types
// cannot express as "unset": a group without count gets Count 1, a job's Name
// defaults to its ID, affinity and spread weights default to 50, a periodic
// block is enabled unless it says otherwise, and a constraint's operator
// defaults to "=". Everything else is canonicalized by the server.
package jobspec
