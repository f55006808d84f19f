#!/usr/bin/env bash
# Validate Kubernetes manifests offline against the API schema of a pinned Kubernetes version
# (strict: unknown fields fail). Generic: for the chart's renders and for Pulumi's alike.
#   scripts/validate-k8s-manifests.sh [-k|--kubernetes-version X.Y] [--skip-kind KIND]... [-q] PATH...
# PATH: a YAML/JSON file, a directory (recursive) or - for stdin. Exit 0 all valid, 1 an object
# is invalid (one line per object says where and why), 2 bad input.
# Needs uv (.ci/setup-base.sh) and the chart test environment (.ci/setup-chart.sh); see
# charts/tests/k8s_manifests.py.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/.ci/lib.sh"
command -v uv >/dev/null || { echo "error: uv not found: run .ci/setup-base.sh" >&2; exit 2; }
exec uv run --quiet --locked --project "$root/charts/tests" python "$root/charts/tests/k8s_manifests.py" "$@"
