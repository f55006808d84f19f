#!/usr/bin/env bash
# Tests of the CI cluster (scripts/ci-cluster.sh, docs/CI-CLUSTER.md): `up` from nothing to a
# Ready node; DNS from a pod; a claim on the `standard` StorageClass; a NodePort on 127.0.0.1;
# NetworkPolicy deny and allow; the loopback registry with basic auth (pushes by ctr and by
# the Docker engine, a pod pulling); then `down`, and the machine compared with a snapshot
# taken before `up` (processes, mounts, netns, links, iptables, ipsets, sysctls, cgroups,
# listening sockets). A Docker engine must keep working throughout. Never builds anything.
# Traffic only to 127.0.0.1 and to the bridges and pods the cluster creates. Needs root.
# Usage: scripts/test-cluster.sh [PYTEST_ARGS...]     (setup: .ci/setup-cluster.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

[ "$(id -u)" = 0 ] || { echo "error: the cluster tests need root" >&2; exit 1; }
command -v uv >/dev/null || { echo "error: uv not found: run .ci/setup-base.sh" >&2; exit 1; }
bash scripts/ci-cluster.sh check # fails with the setup hint when something is not built
step "CI cluster tests (tests/cluster)"
cd tests/cluster
uv run --quiet --locked pytest "$@"
