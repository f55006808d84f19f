#!/usr/bin/env bash
# What the chart tests need (scripts/test-chart.sh): helm and helm-docs, built from source
# through the Go module proxy into $TODO_CACHE/bin, and the charts/tests uv environment
# (pytest, PyYAML, kubernetes-validate with its bundled Kubernetes API schemas), and the Go
# modules of the Pod Security checker (charts/tests/pss-check), which the tests build.
# Idempotent: a no-op when those versions are already there. Needs Go and uv (.ci/setup-base.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

HELM_VERSION=v3.21.4
HELM_DOCS_VERSION=v1.14.2

for tool in go uv; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (Go 1.26 from the machine image; uv from .ci/setup-base.sh)" >&2; exit 1; }
done

go_tool helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
go_tool helm-docs "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELM_DOCS_VERSION"
helm version --short

step "Pod Security checker modules (charts/tests/pss-check)"
(cd charts/tests/pss-check && go mod download && go build -o /dev/null .)

step "chart test environment (charts/tests)"
uv sync --quiet --locked --project charts/tests
