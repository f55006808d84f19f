#!/usr/bin/env bash
# What the monitoring tests need (scripts/test-monitoring.sh): promtool (and prometheus, for
# running against a test cluster) built from the Go module through the module proxy
# (scripts/build-prometheus.sh), the tests' PromQL helper tests/monitoring/promql-metrics (Prometheus'
# own parser) built beside them in $TODO_CACHE/prometheus/<version>/bin, and the tests/monitoring
# uv environment. Idempotent: a no-op when those are built. Needs Go and uv (.ci/setup-base.sh);
# the tests also need helm (.ci/setup-chart.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

require_tools 1 "Go 1.26 from the machine image; uv from .ci/setup-base.sh" go uv

bash scripts/build-prometheus.sh
bin_dir="$(bash scripts/build-prometheus.sh --bin-dir)"

# Rebuilt only when its sources or pins change.
helper=tests/monitoring/promql-metrics
helper_pin="$(cat "$helper/go.mod" "$helper/go.sum" "$helper"/*.go | sha256sum | cut -d' ' -f1)"
if [ ! -x "$bin_dir/promql-metrics" ] || [ "$(cat "$bin_dir/.promql-metrics.built-from" 2>/dev/null)" != "$helper_pin" ]; then
  step "building promql-metrics ($helper)"
  (cd "$helper" && CGO_ENABLED=0 go build -trimpath -o "$bin_dir/promql-metrics" .)
  echo "$helper_pin" >"$bin_dir/.promql-metrics.built-from"
fi

step "monitoring test environment (tests/monitoring)"
uv sync --quiet --locked --project tests/monitoring
