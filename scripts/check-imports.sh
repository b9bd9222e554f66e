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
check ./api/... "^(github.com|google.golang.org|go.etcd.io)/" "api uses the standard library only"
exit $fail
