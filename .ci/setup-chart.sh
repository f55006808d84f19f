#!/usr/bin/env bash
# What the chart tests need (scripts/test-chart.sh), built from source through the Go module
# proxy into $TODO_CACHE/bin: helm, helm-docs, and the etcd + kube-apiserver the tests run on
# 127.0.0.1 (charts/tests/kube-apiserver); and the charts/tests uv environment (pytest, PyYAML,
# kubernetes-validate with its bundled Kubernetes API schemas).
# Idempotent: a no-op when those versions are already there. Needs Go and uv (.ci/setup-base.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

HELM_VERSION=v3.21.4
HELM_DOCS_VERSION=v1.14.2

require_tools 1 "Go 1.26 from the machine image; uv from .ci/setup-base.sh" go uv

go_tool helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
go_tool helm-docs "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELM_DOCS_VERSION"
helm version --short

# Kubernetes cannot be `go install`ed (see charts/tests/kube-apiserver/tools.go): build it from
# the pinned module, again only when go.mod/go.sum change. The first build takes minutes.
api_server_module=charts/tests/kube-apiserver
api_server_stamp="$GOBIN/.kube-apiserver.version"
api_server_pin="$(cat "$api_server_module/go.mod" "$api_server_module/go.sum" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$GOBIN/kube-apiserver" ] || [ ! -x "$GOBIN/etcd" ] || [ "$(cat "$api_server_stamp" 2>/dev/null)" != "$api_server_pin" ]; then
  kubernetes_version="$(cd "$api_server_module" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
  minor="${kubernetes_version#v1.}"; minor="${minor%%.*}"
  step "building kube-apiserver $kubernetes_version and etcd (several minutes the first time)"
  (
    cd "$api_server_module"
    version_flags="-X k8s.io/component-base/version.gitVersion=$kubernetes_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    CGO_ENABLED=0 go build -ldflags "$version_flags" -o "$GOBIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
    CGO_ENABLED=0 go build -o "$GOBIN/etcd" go.etcd.io/etcd/server/v3
  )
  echo "$api_server_pin" >"$api_server_stamp"
fi
kube-apiserver --version

step "chart test environment (charts/tests)"
uv sync --quiet --locked --project charts/tests
