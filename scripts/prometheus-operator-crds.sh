#!/usr/bin/env bash
# Prints the directory of the Prometheus Operator's CustomResourceDefinitions (ServiceMonitor,
# PrometheusRule, ...), from its Go module through the Go module proxy (cached in GOMODCACHE).
# The tests check the chart's monitoring objects against them, as an API server would.
# Usage: scripts/prometheus-operator-crds.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/.ci/lib.sh"

# The operator release whose CRDs the tests use; kube-prometheus-stack ships the same API (monitoring.coreos.com/v1).
MODULE=github.com/prometheus-operator/prometheus-operator@v0.85.0

command -v go >/dev/null || { echo "error: go not found (the Go toolchain fetches the operator's module)" >&2; exit 2; }
if ! dir="$(cd /tmp && go mod download -json "$MODULE" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')" || [ -z "$dir" ]; then
  echo "error: cannot download $MODULE through the Go module proxy ($(go env GOPROXY))" >&2
  exit 1
fi
crds="$dir/example/prometheus-operator-crd"
[ -f "$crds/monitoring.coreos.com_servicemonitors.yaml" ] || { echo "error: no CRDs in $crds" >&2; exit 1; }
echo "$crds"
