#!/usr/bin/env bash
# Tests of the Pulumi program through the real engine, as users run it: `pulumi preview`, `up` and
# `destroy` with the CLI, the Node.js language host and the provider plugins that
# .ci/setup-pulumi-toolchain.sh builds, against a Kubernetes API server on loopback and CI's Docker
# engine (tests/engine, node's test runner). Installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

bin_dir="$(bash scripts/build-pulumi-toolchain.sh --bin-dir)"
for binary in pulumi pulumi-language-nodejs; do
  [ -x "$bin_dir/$binary" ] || { echo "no $binary in $bin_dir: run '.ci/setup-pulumi-toolchain.sh' first" >&2; exit 2; }
done
[ -d node_modules/@pulumi/pulumi ] || { echo "node_modules missing: run 'npm ci' in $(pwd)" >&2; exit 2; }
/usr/bin/docker info >/dev/null 2>&1 || { echo "no Docker engine answers: run .ci/setup-docker.sh" >&2; exit 2; }

step "Pulumi engine tests (node --test tests/engine)"
PULUMI_TOOLCHAIN_BIN="$bin_dir" node --test --test-concurrency=1 tests/engine/*.test.mjs
