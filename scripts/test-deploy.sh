#!/usr/bin/env bash
# The user's workflow on a real cluster: `pulumi up` of the local stack's settings into the CI
# cluster (scripts/ci-cluster.sh), the browser test through the NodePort, NetworkPolicy probes,
# PostgreSQL's pod deleted, a no-op up, a one-line change rolled out under a request loop,
# `pulumi destroy` and a fresh up, monitoring with a real Prometheus Operator and Prometheus
# (tests/deploy, node's test runner). Starts the cluster and stops
# it again (returning the machine to how it was); builds and installs nothing.
# Screenshots of the browser test: artifacts/cluster-e2e*/.
# Usage: scripts/test-deploy.sh [TEST_FILE...]   (default: every tests/deploy/*.test.mjs)
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

[ "$(id -u)" = 0 ] || { echo "error: the deploy tests need root (they run the CI cluster)" >&2; exit 1; }
bin_dir="$(bash scripts/build-pulumi-toolchain.sh --bin-dir)"
[ -x "$bin_dir/pulumi-language-nodejs" ] || { echo "no Pulumi toolchain in $bin_dir: run '.ci/setup-pulumi-toolchain.sh' first" >&2; exit 2; }
[ -d app/e2e/node_modules ] || { echo "app/e2e/node_modules missing: run .ci/setup-docker.sh" >&2; exit 2; }
/usr/bin/docker info >/dev/null 2>&1 || { echo "no Docker engine answers: run .ci/setup-docker.sh" >&2; exit 2; }
bash scripts/ci-cluster.sh check
# The monitoring stand-ins (tests/deploy/monitoring.test.mjs): kube-prometheus-stack's images.
mapfile -t monitoring_images < <(bash .ci/monitoring-standins.sh --images)
for image in "${monitoring_images[@]}"; do
  /usr/bin/docker image inspect "$image" >/dev/null 2>&1 || { echo "no image $image: run .ci/setup-monitoring.sh first" >&2; exit 2; }
done

trap 'bash scripts/ci-cluster.sh down' EXIT
bash scripts/ci-cluster.sh up
bash scripts/ci-cluster.sh load-image "$(sed -n '/^  postgresImage:/,/default:/s/^ *default: *//p' Pulumi.yaml)" "${monitoring_images[@]}"

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/deploy/*.test.mjs)
step "deploy tests (node --test ${tests[*]})"
PULUMI_TOOLCHAIN_BIN="$bin_dir" node --test --test-concurrency=1 "${tests[@]}"
