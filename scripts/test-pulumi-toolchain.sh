#!/usr/bin/env bash
# Tests of the Pulumi toolchain that .ci/setup-pulumi-toolchain.sh builds, and of this project's configuration
# through it (Pulumi.yaml, the stack files, config.ts): the real CLI with the
# repository's @pulumi/pulumi SDK on a throwaway local file backend (tests/toolchain, node's test
# runner). Needs the toolchain's CLI and `npm ci` in the repository root; installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

bin_dir="$(bash scripts/build-pulumi-toolchain.sh --bin-dir)"
[ -x "$bin_dir/pulumi" ] || { echo "no Pulumi CLI in $bin_dir: run '.ci/setup-pulumi-toolchain.sh cli' first" >&2; exit 2; }
[ -d node_modules/@pulumi/pulumi ] || { echo "node_modules missing: run 'npm ci' in $(pwd)" >&2; exit 2; }

step "Pulumi toolchain tests (node --test tests/toolchain)"
PULUMI_TOOLCHAIN_BIN="$bin_dir" node --test tests/toolchain/*.test.mjs
