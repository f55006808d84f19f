#!/usr/bin/env bash
# Test tool: a bare Kubernetes API server (etcd + kube-apiserver, no nodes) on 127.0.0.1, for
# checks that need the API but no pods: server-side dry runs and `pulumi preview`, which reads
# the API's schema the way a pull request's preview reaches its cluster.
#
# Usage: scripts/kube-apiserver-loopback.sh start DIR [CONTEXT...]
#          starts both in the background (state, logs and pids in DIR), waits until the API
#          is ready and prints DIR/kubeconfig, whose contexts (default: loopback) all name it.
#        scripts/kube-apiserver-loopback.sh stop DIR
# Needs etcd and kube-apiserver on PATH (.ci/setup-chart.sh builds both) and openssl.
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"

STARTUP_SECONDS=90

die() { echo "kube-apiserver-loopback: $*" >&2; exit 1; }

stop() {
  local dir="$1" pid
  for name in kube-apiserver etcd; do
    pid="$(cat "$dir/$name.pid" 2>/dev/null)" || continue
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/$name.pid"
  done
}

start() {
  local dir="$1"; shift
  local contexts=("${@:-loopback}") etcd_client etcd_peer port token url
  for tool in etcd kube-apiserver openssl; do
    command -v "$tool" >/dev/null || die "$tool not found on PATH: run .ci/setup-chart.sh (it builds etcd and kube-apiserver)"
  done
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  etcd_client="$(free_loopback_port)" etcd_peer="$(free_loopback_port)" port="$(free_loopback_port)"
  token="$(openssl rand -hex 24)"
  url="https://127.0.0.1:$port"
  echo "$token,loopback-admin,loopback-admin,system:masters" >"$dir/tokens.csv"
  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null

  # Loopback only, and never through a proxy.
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
  setsid etcd --data-dir="$dir/etcd" --log-level=error \
    --listen-client-urls="http://127.0.0.1:$etcd_client" --advertise-client-urls="http://127.0.0.1:$etcd_client" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer" \
    --initial-cluster="default=http://127.0.0.1:$etcd_peer" >"$dir/etcd.log" 2>&1 </dev/null &
  echo $! >"$dir/etcd.pid"
  setsid kube-apiserver --etcd-servers="http://127.0.0.1:$etcd_client" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$port" --cert-dir="$dir/certs" \
    --token-auth-file="$dir/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$dir/sa.key" --service-account-signing-key-file="$dir/sa.key" \
    --service-cluster-ip-range=10.96.0.0/24 >"$dir/kube-apiserver.log" 2>&1 </dev/null &
  echo $! >"$dir/kube-apiserver.pid"

  # The server's certificate is self-signed and it listens on loopback only.
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters: [{name: loopback, cluster: {server: '$url', insecure-skip-tls-verify: true}}]"
    echo "users: [{name: loopback-admin, user: {token: '$token'}}]"
    echo "contexts:"
    for context in "${contexts[@]}"; do echo "  - {name: '$context', context: {cluster: loopback, user: loopback-admin}}"; done
    echo "current-context: '${contexts[0]}'"
  } >"$dir/kubeconfig"
  chmod 600 "$dir/kubeconfig"

  local waited=0
  until curl -fsk --noproxy '*' -H "Authorization: Bearer $token" "$url/readyz" >/dev/null 2>&1; do
    for name in etcd kube-apiserver; do
      kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null || { tail -20 "$dir/$name.log" >&2; stop "$dir"; die "$name exited (log above)"; }
    done
    waited=$((waited + 1))
    [ "$waited" -lt $((STARTUP_SECONDS * 2)) ] || { tail -20 "$dir/kube-apiserver.log" >&2; stop "$dir"; die "the API server was not ready after $STARTUP_SECONDS s"; }
    sleep 0.5
  done
  echo "$dir/kubeconfig"
}

case "${1:-}" in
  start) [ $# -ge 2 ] || die "usage: $0 start DIR [CONTEXT...]"; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR [CONTEXT...] | stop DIR" ;;
esac
