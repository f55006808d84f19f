#!/usr/bin/env bash
# Tests of the Helm chart (charts/todo-chatbot): helm lint --strict with each values file,
# assertions on the objects helm template renders, values-schema rejections, NOTES.txt, the
# README values table, every rendered object validated offline against the Kubernetes API
# schema, the `helm test` scripts run against a loopback HTTP server, and the chart on a real
# etcd + kube-apiserver started on 127.0.0.1 (no nodes: nothing is pulled or run).
# Uses the real helm; no network beyond 127.0.0.1.
# Usage: scripts/test-chart.sh [PYTEST_ARGS...]     (setup: .ci/setup-chart.sh)
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"
cd "$(dirname "$0")/../charts/tests"

for tool in helm helm-docs node uv etcd kube-apiserver openssl; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found: run .ci/setup-chart.sh (as root)" >&2; exit 1; }
done
step "chart tests ($(helm version --short), charts/tests)"
uv run --quiet --locked pytest "$@"
