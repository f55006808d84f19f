//go:build tools

// Package tools pins the Kubernetes API server and etcd that the chart tests run on loopback
// (charts/tests/test_api_server.py). .ci/setup-chart.sh builds both from this module:
// Kubernetes' own module replaces its staging modules with local paths, so it cannot be
// `go install`ed directly; the replace block in go.mod points them at their published versions.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
