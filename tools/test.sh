#!/usr/bin/env bash
# The test command (README: `npm test`). Sets up what the tests need through the shared setup script,
# checks generated code, builds/typechecks/lints every project, then runs the unit tests and the
# end-to-end tests (real dockerd in swarm mode, real nginx/HAProxy, real HTTP on 127.0.0.1).
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

bash tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# Everything below runs on the pinned Node 22 that setup fetched (tools/node.sh).
# shellcheck source=node.sh
. tools/node.sh && use_switchyard_node || { echo "no Node $NODE_VERSION"; echo "0 passed, 1 failed"; exit 1; }
echo "test: node $(node --version)"

fail() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }
bash tools/proto-generate.sh --check || fail "generated proto code is stale"
npx nx sync:check || fail "project references out of sync: run 'npx nx sync'"
npx nx run-many -t build typecheck lint --outputStyle=static || fail "build, typecheck or lint failed"
# Test tooling outside the Nx projects (e2e harness and suites, fuzz, routing conformance, pack test).
for p in tools/e2e-harness tools/e2e tools/fuzz tools/conformance tools/pack-test; do npx tsc -p "$p/tsconfig.json" --noEmit || fail "typecheck of $p failed"; done
npx eslint tools/e2e-harness tools/e2e tools/fuzz tools/conformance tools/pack-test tools/testing || fail "lint of tools failed"

results=$(mktemp -d)
status=0
# Unit and single-process integration tests (real nginx/haproxy binaries on loopback), in parallel.
npx jest --ci --maxWorkers=2 --testPathIgnorePatterns '/e2e' --json --outputFile="$results/unit.json" || status=1
# End-to-end tests against the swarm: one file at a time (they share the host's published ports).
if [ -n "$(find apps packages tools examples -path '*/node_modules' -prune -o -path '*/e2e*/*.test.ts' -print 2>/dev/null | head -1)" ]; then
  npx jest --ci --runInBand --testPathPatterns '/e2e' --json --outputFile="$results/e2e.json" || status=1
fi
node tools/jest-summary.cjs "$results"/*.json || status=1
exit $status
