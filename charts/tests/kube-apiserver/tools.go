//go:build tools

// Package tools pins the Kubernetes binaries built from this one module copy:
//   - the API server and etcd that the chart tests run on loopback
//     (charts/tests/test_api_server.py; built by .ci/setup-chart.sh);
//   - the node and control-plane binaries of the CI cluster (scripts/ci-cluster.sh build,
//     docs/CI-CLUSTER.md), so both share one version, one module copy and one build cache.
//
// Kubernetes' own module replaces its staging modules with local paths, so it cannot be
// `go install`ed directly; the replace block in go.mod points them at their published versions.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
