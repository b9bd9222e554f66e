#!/usr/bin/env bash
# Enforces DESIGN.md's import arrows: the scheduler stays pure, the client
# never imports the server, structs imports nothing of the project.
set -euo pipefail
mod=github.com/droverhq/drover
fail=0
check() { # package-pattern forbidden-regex reason
	local bad
	bad=$(go list -deps "$1" 2>/dev/null | grep -E "$2" || true)
	if [ -n "$bad" ]; then echo "import boundary: $1 must not import $(echo $bad) ($3)"; fail=1; fi
}
check ./structs/... "^$mod/(api|agent|client|command|jobspec|rpc|scheduler|server)(/|$)" "structs imports nothing of the project"
check ./scheduler/... "^$mod/(agent|client|command|server|rpc)(/|$)|^github.com/hashicorp/(raft|go-memdb)|^google.golang.org/grpc$" "the scheduler is pure"
check ./client/... "^$mod/(server|agent|command)(/|$)" "clients speak gRPC to servers"
# api may import only the standard library (paths without a dot in the first element) and itself.
bad=$(go list -f '{{join .Imports "\n"}}' ./api/... | grep -v "^$mod/api" | grep -E '^[^/]+\.[^/]+/' || true)
if [ -n "$bad" ]; then echo "import boundary: api must use the standard library only, not $(echo $bad)"; fail=1; fi
exit $fail
