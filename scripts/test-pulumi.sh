#!/usr/bin/env bash
# Tests of the Pulumi program: type check, then the mocha unit tests (Pulumi mocks,
# both stacks' real configuration files). Needs `npm ci` in the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

[ -d node_modules/@pulumi/pulumi ] || { echo "node_modules missing: run 'npm ci' in $(pwd)" >&2; exit 2; }
step "type check (tsc --noEmit, strict)"
npx --no-install tsc --noEmit -p .
step "unit tests (mocha)"
npx --no-install mocha
