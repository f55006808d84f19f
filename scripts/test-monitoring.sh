#!/usr/bin/env bash
# Offline proof of the chart's monitoring (charts/todo-chatbot `metrics.*`, tests/monitoring):
# the PrometheusRule that `helm template` renders is checked by promtool and unit-tested with
# `promtool test rules` (every alert fires on its failure and stays silent on healthy series;
# broken copies of each alert must fail those tests); every Grafana dashboard query parses and
# names only metrics of tests/monitoring/known-metrics.txt; every runbook_url anchor is a
# section of docs/RUNBOOKS.md. No cluster, no network.
# Usage: scripts/test-monitoring.sh [PYTEST_ARGS...]     (setup: .ci/setup-monitoring.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

bin_dir="$(bash scripts/build-prometheus.sh --bin-dir)"
for binary in promtool promql-metrics; do
  [ -x "$bin_dir/$binary" ] || { echo "no $binary in $bin_dir: run .ci/setup-monitoring.sh first" >&2; exit 2; }
done
command -v helm >/dev/null || { echo "helm not found: run .ci/setup-chart.sh" >&2; exit 2; }
command -v uv >/dev/null || { echo "uv not found: run .ci/setup-base.sh" >&2; exit 2; }
export PATH="$bin_dir:$PATH"

step "monitoring tests ($(promtool --version | head -1), tests/monitoring)"
cd tests/monitoring
uv run --quiet --locked pytest "$@"
