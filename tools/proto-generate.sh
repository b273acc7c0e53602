#!/usr/bin/env bash
# Regenerates packages/proto/src/gen from proto/ with buf and ts-proto (offline).
# With --check, fails when the committed generated code differs from a fresh generation.
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf lint proto
# No breaking change against the published v1 contract (an image of it is committed).
npx buf breaking proto --against proto/v1-baseline.binpb
rm -rf packages/proto/src/gen
(cd proto && ../node_modules/.bin/buf generate)
if [ "${1:-}" = "--check" ]; then
  if ! git diff --exit-code --stat -- packages/proto/src/gen || [ -n "$(git ls-files --others --exclude-standard packages/proto/src/gen)" ]; then
    echo "proto: generated code is out of date; run 'npm run proto:generate' and commit" >&2
    exit 1
  fi
  echo "proto: generated code is up to date"
fi
