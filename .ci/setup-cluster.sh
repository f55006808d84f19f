#!/usr/bin/env bash
# What scripts/test-cluster.sh needs: the CI cluster built and cached under $TODO_CACHE/cluster
# (scripts/ci-cluster.sh build: Kubernetes from charts/tests/kube-apiserver, containerd,
# CoreDNS, local-path-provisioner, kube-router, images; Debian's runc, CNI plugins, ipset,
# docker-registry), and the tests/cluster uv environment (pytest).
# Idempotent and a fast no-op when current; the first build takes 15-30 minutes on 2 cores.
# Needs Go and uv (.ci/setup-base.sh), and root.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

require_tools 1 "Go 1.26 from the machine image; uv from .ci/setup-base.sh" go uv
bash scripts/ci-cluster.sh build

step "cluster test environment (tests/cluster)"
uv sync --quiet --locked --project tests/cluster
