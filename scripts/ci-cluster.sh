#!/usr/bin/env bash
# A single-node Kubernetes cluster for CI on this machine (docs/CI-CLUSTER.md). Users run
# Minikube; this is a CI tool that stands in for it where no VM, no image registry and no
# internet are available: Kubernetes (the version charts/tests/kube-apiserver pins),
# containerd + runc, CNI bridge, CoreDNS, a `standard` StorageClass (local-path-provisioner),
# NetworkPolicy enforcement (kube-router) and a local image registry on 127.0.0.1.
#
# Usage: scripts/ci-cluster.sh build|up|down|status|check|kubeconfig|env|load-image
#   build       build and cache everything under $TODO_CACHE/cluster (a no-op when current)
#   up          start the cluster; progress on stdout; ends with a Ready node and working DNS
#   down        stop everything and return the machine to how it was (idempotent)
#   status      say what runs
#   check       exit 1, with the setup hint, unless everything `up` needs is built
#   kubeconfig  print the path of the admin kubeconfig (context ci-cluster)
#   load-image IMAGE...  copy images from the Docker engine into the node's containerd
#   env         print, as shell assignments, KUBECONFIG, the local registry's address, user and
#               password (CI_REGISTRY, CI_REGISTRY_USER, CI_REGISTRY_PASSWORD) and a few paths
#
# Network containment: everything listens on 127.0.0.1 or on the node bridge this script
# creates; pod traffic to anything outside the cluster's own ranges is dropped; CoreDNS has no
# `forward` plugin; the kubelet's resolv.conf is a file of our own. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

# ---------------------------------------------------------------------------------------------
# Versions and where their builds live (keyed by version, outside the repository).
KUBE_MODULE=charts/tests/kube-apiserver
COREDNS_MODULE=.ci/cluster/coredns
CONTAINERD_VERSION=v2.4.2
LOCAL_PATH_VERSION=v0.0.30
# The only kube-router version the module proxy serves; security flaws are reported for it.
# It runs only in CI, on this machine's own addresses (docs/CI-CLUSTER.md).
KUBE_ROUTER_VERSION=v2.1.0

module_pin() { cat "$1/go.mod" "$1/go.sum" | sha256sum | cut -d' ' -f1; }
module_version() { awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1/go.mod"; }
KUBE_VERSION="$(module_version "$KUBE_MODULE" k8s.io/kubernetes)"
KUBE_PIN="$(module_pin "$KUBE_MODULE")"
COREDNS_VERSION="$(module_version "$COREDNS_MODULE" github.com/coredns/coredns)"
COREDNS_PIN="$(module_pin "$COREDNS_MODULE")"
# Debian's version without its epoch, as an image tag: 1.35.0-4-deb12u1-b1.
busybox_version() { dpkg-query -W -f='${Version}' busybox-static 2>/dev/null | sed 's/^[0-9]*://' | tr '~+' '--'; }
BUSYBOX_VERSION="$(busybox_version || true)"

CLUSTER_CACHE="$TODO_CACHE/cluster"
# The Kubernetes binaries go to $GOBIN, where .ci/setup-chart.sh also puts kube-apiserver and
# etcd: one build from one module copy serves the chart tests and the cluster.
KUBE_BIN="$GOBIN"
KUBE_STAMP="$GOBIN/.kubernetes-cluster.version"
KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl)
CONTAINERD_DIR="$CLUSTER_CACHE/containerd-$CONTAINERD_VERSION"
COREDNS_DIR="$CLUSTER_CACHE/coredns-$COREDNS_VERSION-${COREDNS_PIN:0:12}"
LOCAL_PATH_DIR="$CLUSTER_CACHE/local-path-provisioner-$LOCAL_PATH_VERSION"
KUBE_ROUTER_DIR="$CLUSTER_CACHE/kube-router-$KUBE_ROUTER_VERSION"
PAUSE_DIR="$CLUSTER_CACHE/pause-$KUBE_VERSION"
BUSYBOX_DIR="$CLUSTER_CACHE/busybox-$BUSYBOX_VERSION"

# Images are imported into containerd, never pulled. Naming them after the loopback registry
# means that even an accidental pull could only ever go to 127.0.0.1.
REGISTRY_ADDR=127.0.0.1:5000
PAUSE_IMAGE="$REGISTRY_ADDR/ci-cluster/pause:$KUBE_VERSION"
COREDNS_IMAGE="$REGISTRY_ADDR/ci-cluster/coredns:$COREDNS_VERSION"
LOCAL_PATH_IMAGE="$REGISTRY_ADDR/ci-cluster/local-path-provisioner:$LOCAL_PATH_VERSION"
BUSYBOX_IMAGE="$REGISTRY_ADDR/ci-cluster/busybox:$BUSYBOX_VERSION"
APT_PACKAGES=(runc containernetworking-plugins ipset iptables docker-registry apache2-utils busybox-static openssl gcc libc6-dev)

# ---------------------------------------------------------------------------------------------
# Where a running cluster keeps its state: all of it goes away on `down`.
CLUSTER_HOME="${CI_CLUSTER_HOME:-/var/lib/ci-cluster}"
CLUSTER_RUN="${CI_CLUSTER_RUN:-/run/ci-cluster}"
PID_DIR="$CLUSTER_RUN/pids"
PKI="$CLUSTER_HOME/pki"
KUBECONFIG_ADMIN="$CLUSTER_HOME/admin.kubeconfig"
REGISTRY_ENV="$CLUSTER_HOME/registry.env"
BEFORE_DIR="$CLUSTER_HOME/before" # what the machine looked like before `up`
CONTAINERD_SOCK="$CLUSTER_RUN/containerd/containerd.sock"
RUNC_ROOT="$CLUSTER_RUN/runc"
NODE_NAME=ci-cluster
NODE_BRIDGE=cicl-node     # the node's own address lives here (the kubelet refuses loopback)
POD_BRIDGE=cicl-pods      # the CNI bridge
NODE_IP=10.99.0.1
CLUSTER_CIDR=10.244.0.0/16 # the controller-manager gives the node the /24 below
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
CNI_NETWORK=ci-cluster
# Our own iptables chain for the containment rule; KUBE-* are kube-proxy's, kubelet's and
# kube-router's, CNI-* the portmap plugin's.
CONTAIN_CHAIN=CI-CLUSTER-CONTAIN
OWN_CHAINS='(KUBE-|CNI-|CI-CLUSTER-)'
# The sysctls the kubelet, kube-proxy, kube-router and the CNI bridge plugin may change.
SYSCTLS=(
  net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv6.conf.all.forwarding
  net.ipv4.conf.all.route_localnet
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.bridge.bridge-nf-call-arptables
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait net.netfilter.nf_conntrack_tcp_be_liberal
)
# Started in this order, stopped in the reverse one.
COMPONENTS=(registry etcd kube-apiserver containerd kube-controller-manager kube-scheduler kubelet kube-proxy kube-router)

die() { echo "error: $*" >&2; exit 1; }
elapsed() { echo "$((SECONDS - ${1:-0})) s"; }
need_root() { [ "$(id -u)" = 0 ] || die "ci-cluster.sh $1 needs root"; }

# ---------------------------------------------------------------------------------------------
# build

# built DIR: a build directory is complete once its stamp is there (written last).
built() { [ -e "$1/.complete" ]; }

# with_heartbeat LABEL COMMAND...: run COMMAND, printing a line every minute (Go builds are
# silent for many minutes, and CI logs should show that something is happening).
with_heartbeat() {
  local label="$1" start=$SECONDS heartbeat rc=0; shift
  (while sleep 60; do echo "  ... still building $label ($(elapsed "$start"))"; done) &
  heartbeat=$!
  "$@" || rc=$?
  kill "$heartbeat" 2>/dev/null || true
  wait "$heartbeat" 2>/dev/null || true
  return "$rc"
}

kubernetes_built() {
  local cmd
  [ "$(cat "$KUBE_STAMP" 2>/dev/null)" = "$KUBE_PIN" ] && [ -x "$GOBIN/etcd" ] || return 1
  for cmd in "${KUBE_CMDS[@]}"; do [ -x "$KUBE_BIN/$cmd" ] || return 1; done
}

build_kubernetes() {
  local names=() cmd
  if kubernetes_built; then echo "Kubernetes $KUBE_VERSION: current"; return 0; fi
  for cmd in "${KUBE_CMDS[@]}"; do names+=("k8s.io/kubernetes/cmd/$cmd"); done
  step "building Kubernetes $KUBE_VERSION: ${KUBE_CMDS[*]} (about 12 min on 2 cores with an empty cache)"
  local start=$SECONDS minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  # The same version flags as .ci/setup-chart.sh, so kube-apiserver is the same binary.
  local version_flags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  (cd "$KUBE_MODULE" && CGO_ENABLED=0 with_heartbeat Kubernetes go build -ldflags "$version_flags" -o "$KUBE_BIN/" "${names[@]}")
  if [ ! -x "$GOBIN/etcd" ] || [ "$(cat "$GOBIN/.kube-apiserver.version" 2>/dev/null)" != "$KUBE_PIN" ]; then
    (cd "$KUBE_MODULE" && CGO_ENABLED=0 with_heartbeat etcd go build -o "$GOBIN/etcd" go.etcd.io/etcd/server/v3)
  fi
  # Same module, same flags, same pin: what .ci/setup-chart.sh would build, so it need not.
  echo "$KUBE_PIN" >"$GOBIN/.kube-apiserver.version"
  echo "$KUBE_PIN" >"$KUBE_STAMP"
  echo "Kubernetes $KUBE_VERSION built in $(elapsed "$start")"
}

# go_install_to DIR LABEL PACKAGE@VERSION...: `go install` into a versioned directory.
go_install_to() {
  local dir="$1" label="$2"; shift 2
  if built "$dir"; then echo "$label: current"; return 0; fi
  step "building $label (a few minutes with an empty cache)"
  local start=$SECONDS
  rm -rf "$dir"; mkdir -p "$dir"
  GOBIN="$dir" CGO_ENABLED=0 with_heartbeat "$label" go install "$@"
  touch "$dir/.complete"
  echo "$label built in $(elapsed "$start")"
}

build_coredns() {
  if built "$COREDNS_DIR"; then echo "CoreDNS $COREDNS_VERSION: current"; return 0; fi
  step "building CoreDNS $COREDNS_VERSION ($COREDNS_MODULE: only the plugins the cluster uses)"
  local start=$SECONDS
  rm -rf "$COREDNS_DIR"; mkdir -p "$COREDNS_DIR"
  (cd "$COREDNS_MODULE" && CGO_ENABLED=0 with_heartbeat CoreDNS go build -o "$COREDNS_DIR/coredns" .)
  touch "$COREDNS_DIR/.complete"
  echo "CoreDNS built in $(elapsed "$start")"
}

build_pause() {
  if built "$PAUSE_DIR"; then echo "pause ($KUBE_VERSION): current"; return 0; fi
  step "building the pause binary from k8s.io/kubernetes $KUBE_VERSION (gcc -static)"
  local src
  src="$(cd "$KUBE_MODULE" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c"
  [ -f "$src" ] || (cd "$KUBE_MODULE" && go mod download k8s.io/kubernetes)
  rm -rf "$PAUSE_DIR"; mkdir -p "$PAUSE_DIR"
  gcc -Os -Wall -Werror -static -DVERSION="$KUBE_VERSION" -o "$PAUSE_DIR/pause" "$src"
  touch "$PAUSE_DIR/.complete"
}

# image_tar DIR REF ARGS...: the OCI image tar of a build directory (rebuilt with its binary).
image_tar() {
  local dir="$1" ref="$2"; shift 2
  if [ -s "$dir/image.tar" ] && [ "$(cat "$dir/image.ref" 2>/dev/null)" = "$ref" ]; then return 0; fi
  python3 .ci/cluster/oci-image.py --ref "$ref" --out "$dir/image.tar.tmp" "$@"
  mv "$dir/image.tar.tmp" "$dir/image.tar"
  echo "$ref" >"$dir/image.ref"
  echo "image $ref: $(du -h "$dir/image.tar" | cut -f1)"
}

build_images() {
  step "images (OCI tars, imported by \`up\`)"
  image_tar "$PAUSE_DIR" "$PAUSE_IMAGE" --file "$PAUSE_DIR/pause=/pause" --entrypoint '["/pause"]' --user 65535:65535
  image_tar "$COREDNS_DIR" "$COREDNS_IMAGE" --file "$COREDNS_DIR/coredns=/coredns" --entrypoint '["/coredns"]'
  image_tar "$LOCAL_PATH_DIR" "$LOCAL_PATH_IMAGE" \
    --file "$LOCAL_PATH_DIR/local-path-provisioner=/usr/bin/local-path-provisioner" \
    --entrypoint '["/usr/bin/local-path-provisioner"]'
  # busybox: the local-path helper pods run sh/mkdir/rm in it; tests use sh, nc, nslookup,
  # httpd (its wget segfaults on these machines: don't use it).
  mkdir -p "$BUSYBOX_DIR"
  local applets=(sh ash cat chmod echo env hostname httpd id ls mkdir nc nslookup ps rm rmdir sleep test true false timeout)
  local links=() a
  for a in "${applets[@]}"; do links+=(--link "/bin/$a=busybox"); done
  image_tar "$BUSYBOX_DIR" "$BUSYBOX_IMAGE" --file /bin/busybox=/bin/busybox "${links[@]}" --cmd '["sh"]'
}

cmd_build() {
  need_root build
  local start=$SECONDS
  for tool in go python3; do command -v "$tool" >/dev/null || die "$tool not found (Go from the machine image)"; done
  step "Debian packages: ${APT_PACKAGES[*]}"
  apt_install "${APT_PACKAGES[@]}"
  BUSYBOX_VERSION="$(busybox_version)"
  BUSYBOX_DIR="$CLUSTER_CACHE/busybox-$BUSYBOX_VERSION"
  BUSYBOX_IMAGE="$REGISTRY_ADDR/ci-cluster/busybox:$BUSYBOX_VERSION"
  mkdir -p "$CLUSTER_CACHE"
  build_kubernetes
  # containerd 2.x from its module: the CRI plugin of Debian's 1.6 is deprecated by kubelet 1.36.
  go_install_to "$CONTAINERD_DIR" "containerd $CONTAINERD_VERSION" \
    -tags "no_btrfs no_devmapper no_zfs urfave_cli_no_docs" \
    "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION"
  build_coredns
  go_install_to "$LOCAL_PATH_DIR" "local-path-provisioner $LOCAL_PATH_VERSION" \
    "github.com/rancher/local-path-provisioner@$LOCAL_PATH_VERSION"
  go_install_to "$KUBE_ROUTER_DIR" "kube-router $KUBE_ROUTER_VERSION" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
  build_pause
  build_images
  step "build complete in $(elapsed "$start") (cache: $CLUSTER_CACHE, $GOBIN)"
}

# ---------------------------------------------------------------------------------------------
# helpers for up, down and status

LOGS="$CLUSTER_CACHE/logs" # the last run's logs stay for debugging; `up` empties them

pid_of() { cat "$PID_DIR/$1.pid" 2>/dev/null || true; }
# alive PID: running, not a zombie (PID 1 here reaps our orphans only every few seconds).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
# running NAME: the recorded process is alive and is still the one we started.
running() {
  local pid; pid="$(pid_of "$1")"
  [ -n "$pid" ] && alive "$pid" && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "CI_CLUSTER_COMPONENT=$1"
}

# start NAME COMMAND...: start a component detached (setsid), logging to $LOGS/NAME.log.
# The marker in its environment lets `down` recognise our processes even without pid files.
start() {
  local name="$1"; shift
  mkdir -p "$PID_DIR" "$LOGS"
  CI_CLUSTER_COMPONENT="$name" setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
  disown "$!" # `down` stops it, by pid; no job notices from this shell
}

# wait_for WHAT SECONDS COMMAND...: poll until COMMAND succeeds; fail at once if a component
# we started has died (its log says why).
wait_for() {
  local what="$1" timeout="$2" start=$SECONDS name; shift 2
  until "$@" >/dev/null 2>&1; do
    for name in "${COMPONENTS[@]}"; do
      if [ -e "$PID_DIR/$name.pid" ] && ! running "$name"; then
        echo "error: $name exited while waiting for $what (log: $LOGS/$name.log)" >&2; return 1
      fi
    done
    if [ $((SECONDS - start)) -ge "$timeout" ]; then echo "error: $what not ready within $timeout s" >&2; return 1; fi
    sleep 0.5
  done
}

kubectl_admin() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctr_cicl() { "$CONTAINERD_DIR/ctr" --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
dockerd_running() { pgrep -x dockerd >/dev/null 2>&1; }

# iptables_chains BINARY: "table chain" for every chain of the four tables we touch.
iptables_chains() {
  local t
  for t in filter nat mangle raw; do
    "$1" -t "$t" -S 2>/dev/null | awk -v t="$t" '$1 == "-N" || $1 == "-P" { print t, $2 }'
  done
}

# ---------------------------------------------------------------------------------------------
# PKI: fresh for every `up` (EC P-256 keys take milliseconds)

# cert NAME SUBJECT EXTENSIONS: a key and a certificate signed by the cluster CA.
cert() {
  local name="$1" subject="$2" ext="$3"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -days 30 \
    -set_serial "0x$(openssl rand -hex 16)" -extfile <(printf '%b' "$ext") -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr"
}
CLIENT_EXT='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'
SERVER_EXT='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'

# kubeconfig FILE USER: a kubeconfig for one of the PKI's client certificates.
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: ci-cluster
    cluster: {server: "https://$NODE_IP:6443", certificate-authority: "$PKI/ca.crt"}
users:
  - name: $2
    user: {client-certificate: "$PKI/$2.crt", client-key: "$PKI/$2.key"}
contexts:
  - name: ci-cluster
    context: {cluster: ci-cluster, user: $2}
current-context: ci-cluster
EOF
}

make_pki() {
  mkdir -p "$PKI"; chmod 700 "$PKI"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=ci-cluster-ca" -days 30 -out "$PKI/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  cert apiserver "/CN=kube-apiserver" "${SERVER_EXT}subjectAltName=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$NODE_IP,IP:$API_SERVICE_IP,IP:127.0.0.1"
  cert kubelet-serving "/CN=$NODE_NAME" "${SERVER_EXT}subjectAltName=DNS:$NODE_NAME,IP:$NODE_IP"
  cert admin "/O=system:masters/CN=ci-cluster-admin" "$CLIENT_EXT"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$CLIENT_EXT"
  cert kube-controller-manager "/CN=system:kube-controller-manager" "$CLIENT_EXT"
  cert kube-scheduler "/CN=system:kube-scheduler" "$CLIENT_EXT"
  cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "$CLIENT_EXT"
  cert kube-proxy "/CN=system:kube-proxy" "$CLIENT_EXT"
  cert kube-router "/CN=ci-cluster:kube-router" "$CLIENT_EXT"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/sa.key" 2>/dev/null
  openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  local user
  for user in admin kube-controller-manager kube-scheduler kubelet kube-proxy kube-router; do
    kubeconfig "$CLUSTER_HOME/$user.kubeconfig" "$user"
  done
}

# ---------------------------------------------------------------------------------------------
# configuration files

write_configs() {
  local cfg="$CLUSTER_HOME/config" host auth
  mkdir -p "$cfg" "$CLUSTER_HOME/cni/net.d" "$CLUSTER_HOME/containerd/certs.d/$REGISTRY_ADDR" \
    "$CLUSTER_HOME/containerd/certs.d/_default" "$CLUSTER_HOME/volumes" "$CLUSTER_HOME/registry"

  # The kubelet hands this to pods with dnsPolicy Default: no upstream resolver, on purpose.
  printf '# CI cluster (scripts/ci-cluster.sh): pods never use the host resolver.\nnameserver 127.0.0.1\n' >"$cfg/resolv.conf"

  # The CNI bridge: no masquerading, a host-local IPAM store of our own.
  cat >"$CLUSTER_HOME/cni/net.d/10-ci-cluster.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$CLUSTER_HOME/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

  # Registry access for the node. Every pull goes to the loopback registry, also one that
  # names another registry (`_default`): no image pull can ever leave the machine.
  auth="$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)"
  for host in "$REGISTRY_ADDR" _default; do
    cat >"$CLUSTER_HOME/containerd/certs.d/$host/hosts.toml" <<EOF
server = "http://$REGISTRY_ADDR"

[host."http://$REGISTRY_ADDR"]
  capabilities = ["pull", "resolve", "push"]
  [host."http://$REGISTRY_ADDR".header]
    Authorization = "Basic $auth"
EOF
  done

  # containerd: its own root, state, socket, runc root and CNI dirs, apart from Docker's.
  cat >"$cfg/containerd.toml" <<EOF
version = 3
root = "$CLUSTER_HOME/containerd/root"
state = "$CLUSTER_RUN/containerd/state"
temp = "$CLUSTER_RUN/containerd/tmp"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins.'io.containerd.internal.v1.opt']
  path = "$CLUSTER_HOME/containerd/opt"
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$CLUSTER_HOME/containerd/certs.d"
[plugins.'io.containerd.cri.v1.runtime']
  # Root lacks CAP_SYS_RESOURCE here: without this every sandbox fails in runc.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    runtime_path = "$CONTAINERD_DIR/containerd-shim-runc-v2"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = "$(command -v runc)"
      Root = "$RUNC_ROOT"
      SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$CLUSTER_HOME/cni/net.d"
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
EOF

  cat >"$cfg/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$PKI/kubelet-serving.crt"
tlsPrivateKeyFile: "$PKI/kubelet-serving.key"
containerRuntimeEndpoint: "unix://$CONTAINERD_SOCK"
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
resolvConf: "$cfg/resolv.conf"
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
serializeImagePulls: false
EOF

  cat >"$cfg/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $CLUSTER_CIDR
clientConnection: {kubeconfig: "$CLUSTER_HOME/kube-proxy.kubeconfig"}
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# NodePorts answer on the node bridge's address and on 127.0.0.1.
nodePortAddresses: [$NODE_IP/32, 127.0.0.1/32]
iptables: {localhostNodePorts: true}
# Zeros: kube-proxy leaves the host's conntrack sysctls alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF

  cat >"$cfg/registry.yml" <<EOF
version: 0.1
log: {level: info, fields: {service: registry}}
storage:
  filesystem: {rootdirectory: "$CLUSTER_HOME/registry"}
  delete: {enabled: true}
http:
  addr: $REGISTRY_ADDR
  secret: $(openssl rand -hex 16)
auth:
  htpasswd: {realm: ci-cluster, path: "$cfg/registry.htpasswd"}
EOF
  htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$cfg/registry.htpasswd" 2>/dev/null
  printf 'CI_REGISTRY=%s\nCI_REGISTRY_USER=%s\nCI_REGISTRY_PASSWORD=%s\n' \
    "$REGISTRY_ADDR" "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$REGISTRY_ENV"
  chmod 600 "$REGISTRY_ENV"

  sed -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|; s|@LOCAL_PATH_IMAGE@|$LOCAL_PATH_IMAGE|" \
    -e "s|@BUSYBOX_IMAGE@|$BUSYBOX_IMAGE|; s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|" \
    -e "s|@VOLUMES_DIR@|$CLUSTER_HOME/volumes|" .ci/cluster/addons.yaml >"$cfg/addons.yaml"
}

# ---------------------------------------------------------------------------------------------
# up

check_built() {
  local missing=() f
  for f in "$KUBE_BIN/etcd" "$CONTAINERD_DIR/.complete" "$COREDNS_DIR/image.tar" "$LOCAL_PATH_DIR/image.tar" \
    "$KUBE_ROUTER_DIR/.complete" "$PAUSE_DIR/image.tar" "$BUSYBOX_DIR/image.tar" \
    /usr/bin/docker-registry /usr/lib/cni/bridge /usr/sbin/ipset /usr/bin/htpasswd; do
    [ -e "$f" ] || missing+=("$f")
  done
  kubernetes_built || missing+=("Kubernetes $KUBE_VERSION for this go.mod/go.sum ($KUBE_BIN)")
  [ ${#missing[@]} -eq 0 ] && return 0
  printf 'error: not built: %s\n' "${missing[@]}" >&2
  echo "hint: run .ci/setup-cluster.sh (scripts/ci-cluster.sh build) first" >&2
  exit 1
}

# record_before: what `down` returns to (recorded once: a failed `up` may be rerun).
record_before() {
  [ -d "$BEFORE_DIR" ] && return 0
  rm -rf "$BEFORE_DIR.tmp"; mkdir -p "$BEFORE_DIR.tmp"
  local s d
  for s in "${SYSCTLS[@]}"; do
    if [ -e "/proc/sys/${s//.//}" ]; then echo "$s=$(sysctl -n "$s")"; fi
  done >"$BEFORE_DIR.tmp/sysctls"
  iptables_chains iptables >"$BEFORE_DIR.tmp/iptables"
  iptables_chains ip6tables >"$BEFORE_DIR.tmp/ip6tables"
  ipset list -n >"$BEFORE_DIR.tmp/ipsets" 2>/dev/null || true
  ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' >"$BEFORE_DIR.tmp/links"
  for d in /var/lib/cni /var/run/netns; do if [ -e "$d" ]; then echo "$d"; fi; done >"$BEFORE_DIR.tmp/paths"
  mv "$BEFORE_DIR.tmp" "$BEFORE_DIR"
}

# contain_pods: pod traffic never leaves the machine. A chain of our own in the mangle table's
# FORWARD hook, which runs before the filter table, where kube-router, kube-proxy and Docker
# keep inserting and reordering their own accepting rules: from the pod bridge or the cluster's
# ranges, only the cluster's own ranges are reachable; everything else is dropped.
contain_pods() {
  local dst match
  iptables -t mangle -N "$CONTAIN_CHAIN" 2>/dev/null || iptables -t mangle -F "$CONTAIN_CHAIN"
  for dst in "$CLUSTER_CIDR" "$SERVICE_CIDR" "$NODE_IP/32"; do
    iptables -t mangle -A "$CONTAIN_CHAIN" -d "$dst" -j RETURN
  done
  iptables -t mangle -A "$CONTAIN_CHAIN" -j DROP
  for match in "-i $POD_BRIDGE" "-s $CLUSTER_CIDR" "-s $SERVICE_CIDR"; do
    # shellcheck disable=SC2086 # each match is two words
    iptables -t mangle -C FORWARD $match -j "$CONTAIN_CHAIN" 2>/dev/null \
      || iptables -t mangle -I FORWARD 1 $match -j "$CONTAIN_CHAIN"
  done
  # Pods have IPv4 only: nothing IPv6 is forwarded from the pod bridge.
  ip6tables -t mangle -N "$CONTAIN_CHAIN" 2>/dev/null || ip6tables -t mangle -F "$CONTAIN_CHAIN"
  ip6tables -t mangle -A "$CONTAIN_CHAIN" -j DROP
  ip6tables -t mangle -C FORWARD -i "$POD_BRIDGE" -j "$CONTAIN_CHAIN" 2>/dev/null \
    || ip6tables -t mangle -I FORWARD 1 -i "$POD_BRIDGE" -j "$CONTAIN_CHAIN"
}

# shellcheck disable=SC2317 # invoked through the ERR trap
up_failed() {
  trap - ERR
  local log
  echo "error: ci-cluster up failed; the last lines of each log:" >&2
  for log in "$LOGS"/*.log; do
    if [ -e "$log" ]; then echo "--- $log" >&2; tail -n 5 "$log" >&2; fi
  done
  echo "cleaning up (scripts/ci-cluster.sh down); the logs stay in $LOGS" >&2
  cmd_down >&2 || true
  exit 1
}

cmd_up() {
  need_root up
  local start=$SECONDS tar
  check_built
  if running kube-apiserver && running kubelet; then
    echo "ci-cluster is already up (scripts/ci-cluster.sh status; down stops it)"; return 0
  fi
  # On any failure (also inside functions: errtrace), show the logs and clean up.
  set -o errtrace
  trap up_failed ERR
  rm -rf "$LOGS"; mkdir -p "$LOGS" "$CLUSTER_HOME" "$CLUSTER_RUN"
  chmod 700 "$CLUSTER_HOME"

  step "ci-cluster up: recording the machine's state for \`down\`"
  record_before
  REGISTRY_USER=ci
  REGISTRY_PASSWORD="$(openssl rand -hex 16)"

  step "node network: bridge $NODE_BRIDGE ($NODE_IP/32), pod containment rules"
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || ip link add "$NODE_BRIDGE" type bridge
  ip addr replace "$NODE_IP/32" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  contain_pods
  # Bridged pod-to-pod traffic must pass iptables, for Services and NetworkPolicies.
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1

  step "certificates, kubeconfigs, configuration"
  make_pki
  write_configs

  step "starting the image registry (http://$REGISTRY_ADDR), etcd, containerd $CONTAINERD_VERSION"
  start registry /usr/bin/docker-registry serve "$CLUSTER_HOME/config/registry.yml"
  start etcd "$GOBIN/etcd" --name "$NODE_NAME" --data-dir "$CLUSTER_HOME/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster "$NODE_NAME=http://127.0.0.1:2380" --log-level warn
  mkdir -p "$CLUSTER_RUN/containerd"
  # Our shim first on PATH: Docker's containerd package has one of its own.
  PATH="$CONTAINERD_DIR:$PATH" start containerd "$CONTAINERD_DIR/containerd" --config "$CLUSTER_HOME/config/containerd.toml"

  step "starting kube-apiserver $KUBE_VERSION (https://$NODE_IP:6443)"
  start kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port 6443 \
    --etcd-servers http://127.0.0.1:2379 --service-cluster-ip-range "$SERVICE_CIDR" \
    --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --allow-privileged=true --profiling=false
  wait_for "the image registry" 30 curl -s -o /dev/null "http://$REGISTRY_ADDR/"
  wait_for containerd 30 "$CONTAINERD_DIR/ctr" --address "$CONTAINERD_SOCK" version

  step "importing the cluster's images into containerd"
  for tar in "$PAUSE_DIR/image.tar" "$COREDNS_DIR/image.tar" "$LOCAL_PATH_DIR/image.tar" "$BUSYBOX_DIR/image.tar"; do
    # ctr warns on every call that cgroup v1 is deprecated: show its output only on failure.
    ctr_cicl images import "$tar" >"$LOGS/ctr.log" 2>&1 || { cat "$LOGS/ctr.log" >&2; false; }
  done
  ctr_cicl images list -q 2>/dev/null | grep -v '^sha256:' | sed 's/^/  /'

  wait_for kube-apiserver 120 kubectl_admin get --raw /readyz
  echo "kube-apiserver ready after $(elapsed "$start")"

  step "starting kube-controller-manager, kube-scheduler, kubelet, kube-proxy"
  start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$CLUSTER_HOME/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$CLUSTER_HOME/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$CLUSTER_HOME/kube-controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --allocate-node-cidrs --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size 24 \
    --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false
  start kube-scheduler "$KUBE_BIN/kube-scheduler" --kubeconfig "$CLUSTER_HOME/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig "$CLUSTER_HOME/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$CLUSTER_HOME/kube-scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --profiling=false
  start kubelet "$KUBE_BIN/kubelet" --config "$CLUSTER_HOME/config/kubelet.yaml" \
    --kubeconfig "$CLUSTER_HOME/kubelet.kubeconfig" --root-dir "$CLUSTER_HOME/kubelet" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
  start kube-proxy "$KUBE_BIN/kube-proxy" --config "$CLUSTER_HOME/config/kube-proxy.yaml"

  step "add-ons: CoreDNS, local-path-provisioner + StorageClass standard, kube-router's RBAC"
  kubectl_admin apply -f "$CLUSTER_HOME/config/addons.yaml" | sed 's/^/  /'

  # kube-router finds its node by name at start and exits if the kubelet has not registered it yet.
  wait_for "node $NODE_NAME registered" 120 kubectl_admin get "node/$NODE_NAME"
  step "starting kube-router $KUBE_ROUTER_VERSION (NetworkPolicy enforcement only)"
  start kube-router "$KUBE_ROUTER_DIR/kube-router" --kubeconfig "$CLUSTER_HOME/kube-router.kubeconfig" \
    --hostname-override "$NODE_NAME" --run-firewall --run-router=false --run-service-proxy=false \
    --enable-cni=false --health-port=0 --metrics-port=0 --service-cluster-ip-range "$SERVICE_CIDR"

  step "waiting for the node, CoreDNS and the provisioner"
  wait_for "node $NODE_NAME Ready" 120 kubectl_admin wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
  echo "node Ready after $(elapsed "$start")"
  wait_for CoreDNS 120 kubectl_admin -n kube-system rollout status deployment/coredns --timeout=2s
  wait_for local-path-provisioner 120 kubectl_admin -n local-path-storage rollout status deployment/local-path-provisioner --timeout=2s
  # The DNS Service answers: from the host, through kube-proxy's rules, to the CoreDNS pod.
  wait_for "DNS (kubernetes.default.svc.cluster.local at $DNS_SERVICE_IP)" 60 \
    busybox nslookup kubernetes.default.svc.cluster.local "$DNS_SERVICE_IP"
  busybox nslookup kubernetes.default.svc.cluster.local "$DNS_SERVICE_IP" 2>/dev/null \
    | sed -n 's/^Address: /  kubernetes.default.svc.cluster.local -> /p'
  trap - ERR
  step "ci-cluster up in $(elapsed "$start")"
  echo "  kubeconfig: $KUBECONFIG_ADMIN (context ci-cluster)"
  echo "  registry:   http://$REGISTRY_ADDR (user and password: scripts/ci-cluster.sh env, or the file $REGISTRY_ENV)"
  echo "  logs:       $LOGS"
}

# ---------------------------------------------------------------------------------------------
# down

# our_pids: processes of our binaries (shims, the containers' CoreDNS...) or that we started.
our_pids() {
  {
    find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$CLUSTER_CACHE/*" 2>/dev/null | cut -d/ -f3
    grep -lsaz '^CI_CLUSTER_COMPONENT=' /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
  } | sort -u | grep -vx "$$" || true
}

stop_component() {
  local name="$1" pid
  pid="$(pid_of "$name")"
  if running "$name"; then
    # A short grace period: all state is thrown away anyway.
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 30); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    echo "  stopped $name (pid $pid)"
  fi
  rm -f "$PID_DIR/$name.pid"
}

# remove_iptables BINARY BEFORE_FILE: delete the KUBE-*, CNI-* and CI-CLUSTER-* chains that
# were not there before `up`, and every rule that jumps to them.
remove_iptables() {
  local ipt="$1" before="$2" ours t chains chain rule
  command -v "$ipt" >/dev/null || return 0
  ours="$(iptables_chains "$ipt" | grep -E " $OWN_CHAINS" || true)"
  if [ -f "$before" ]; then ours="$(grep -vxFf "$before" <<<"$ours" || true)"; fi
  [ -n "$ours" ] || return 0
  for t in filter nat mangle raw; do
    chains="$(awk -v t="$t" '$1 == t { print $2 }' <<<"$ours")"
    [ -n "$chains" ] || continue
    "$ipt" -t "$t" -S | grep -E -- "-j ($(paste -sd'|' <<<"$chains"))( |\$)" | while read -r rule; do
      # iptables -S quotes like a shell: reuse its words as arguments of -D.
      eval "set -- ${rule#-A }"
      "$ipt" -t "$t" -D "$@" 2>/dev/null || true
    done || true
    for chain in $chains; do "$ipt" -t "$t" -F "$chain" 2>/dev/null || true; done
    for chain in $chains; do "$ipt" -t "$t" -X "$chain" 2>/dev/null || true; done
  done
}

cmd_down() {
  need_root down
  local start=$SECONDS i id pids procs pid dir mnts mnt set link key value
  step "ci-cluster down"
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_component "${COMPONENTS[$i]}"; done

  # Containers: runc's view first, then the shims of our containerd, then anything of ours.
  if [ -d "$RUNC_ROOT" ]; then
    for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
      runc --root "$RUNC_ROOT" kill "$id" KILL 2>/dev/null || true
      runc --root "$RUNC_ROOT" delete --force "$id" 2>/dev/null || true
    done
  fi
  for _ in 1 2 3 4 5; do
    pids="$(our_pids)"
    [ -n "$pids" ] || break
    ps -o pid=,stat=,args= -p "${pids//$'\n'/,}" 2>/dev/null | sed 's/^/  killing /' | cut -c1-150 || true
    # shellcheck disable=SC2086 # a list of pids
    kill -KILL $pids 2>/dev/null || true
    sleep 0.3
  done
  # Whatever is left in the pods' cgroups (containers whose runc state was lost).
  while read -r procs; do
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$procs"
  done < <(find /sys/fs/cgroup/*/kubepods -name cgroup.procs 2>/dev/null)

  # Mounts under our directories, the last mounted first.
  for dir in "$CLUSTER_HOME" "$CLUSTER_RUN"; do
    for _ in 1 2 3; do
      mnts="$(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | tac)"
      [ -n "$mnts" ] || break
      while read -r mnt; do umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; done <<<"$mnts"
    done
  done

  # iptables chains and ipsets that were not there before `up`.
  remove_iptables iptables "$BEFORE_DIR/iptables"
  remove_iptables ip6tables "$BEFORE_DIR/ip6tables"
  if command -v ipset >/dev/null; then
    for set in $(ipset list -n 2>/dev/null); do
      if [ -f "$BEFORE_DIR/ipsets" ]; then
        if grep -qxF "$set" "$BEFORE_DIR/ipsets"; then continue; fi
      else
        case "$set" in kube-router-* | KUBE-*) ;; *) continue ;; esac
      fi
      ipset destroy "$set" 2>/dev/null || true
    done
  fi

  # Links: pod veths left on our bridge, our bridges, whatever kube-router made.
  for link in $(ip -o link show master "$POD_BRIDGE" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
    ip link delete "$link" 2>/dev/null || true
  done
  for link in "$POD_BRIDGE" "$NODE_BRIDGE" kube-bridge kube-dummy-if; do
    if ip link show "$link" >/dev/null 2>&1 && ! grep -qxF "$link" "$BEFORE_DIR/links" 2>/dev/null; then
      ip link delete "$link" || true
    fi
  done

  # The pods' cgroups, deepest first.
  find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} + 2>/dev/null || true

  # Sysctls as they were, except that IP forwarding stays on under a running Docker engine.
  if [ -f "$BEFORE_DIR/sysctls" ]; then
    while IFS='=' read -r key value; do
      [ "$(sysctl -n "$key" 2>/dev/null)" = "$value" ] && continue
      case "$key" in
        net.ipv4.ip_forward | *.forwarding)
          if [ "$value" = 0 ] && dockerd_running; then echo "  $key stays 1: dockerd runs and needs it"; continue; fi ;;
      esac
      sysctl -qw "$key=$value" || echo "warning: could not restore $key=$value" >&2
    done <"$BEFORE_DIR/sysctls"
  fi

  # What the CNI plugins may have made outside our directories.
  rm -rf /var/lib/cni/results/"$CNI_NETWORK"-* /var/lib/cni/networks/"$CNI_NETWORK" 2>/dev/null || true
  if [ -f "$BEFORE_DIR/paths" ]; then
    if [ -e /var/lib/cni ] && ! grep -qxF /var/lib/cni "$BEFORE_DIR/paths"; then rm -rf /var/lib/cni; fi
    if [ -e /var/run/netns ] && ! grep -qxF /var/run/netns "$BEFORE_DIR/paths"; then rmdir /var/run/netns 2>/dev/null || true; fi
  fi

  rm -rf "$CLUSTER_HOME" "$CLUSTER_RUN"
  echo "ci-cluster down in $(elapsed "$start")"
}

# ---------------------------------------------------------------------------------------------
# status, kubeconfig, env

cmd_status() {
  local name any=0
  for name in "${COMPONENTS[@]}"; do
    if running "$name"; then
      any=1
      printf '  %-24s running (pid %s, %s MB)\n' "$name" "$(pid_of "$name")" \
        "$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$(pid_of "$name")/status")"
    else
      printf '  %-24s not running\n' "$name"
    fi
  done
  if [ "$any" = 0 ]; then echo "ci-cluster is down"; return 3; fi
  if running kube-apiserver; then
    kubectl_admin get nodes -o wide 2>&1 | sed 's/^/  /' || true
    kubectl_admin get pods -A 2>&1 | sed 's/^/  /' || true
  fi
  echo "  kubeconfig: $KUBECONFIG_ADMIN   registry: http://$REGISTRY_ADDR ($REGISTRY_ENV)"
}

cmd_kubeconfig() {
  [ -f "$KUBECONFIG_ADMIN" ] || die "ci-cluster is not up (scripts/ci-cluster.sh up)"
  echo "$KUBECONFIG_ADMIN"
}

# env: what tests and the Pulumi program's CI stack need, as shell assignments.
cmd_env() {
  [ -f "$REGISTRY_ENV" ] || die "ci-cluster is not up (scripts/ci-cluster.sh up)"
  cat <<EOF
KUBECONFIG=$KUBECONFIG_ADMIN
CI_CLUSTER_KUBECTL=$KUBE_BIN/kubectl
CI_CLUSTER_KUBERNETES_VERSION=$KUBE_VERSION
CI_CLUSTER_NODE_IP=$NODE_IP
CI_CLUSTER_BUSYBOX_IMAGE=$BUSYBOX_IMAGE
CI_CLUSTER_CTR=$CONTAINERD_DIR/ctr
CI_CLUSTER_CONTAINERD_SOCK=$CONTAINERD_SOCK
CI_CLUSTER_LOGS=$LOGS
EOF
  cat "$REGISTRY_ENV"
}

# ---------------------------------------------------------------------------------------------
# load-image IMAGE...: copy images from the Docker engine into the node's containerd. Minikube
# pulls third-party images (PostgreSQL's) from their registries; this cluster reaches none.
cmd_load_image() {
  [ $# -gt 0 ] || die "usage: $0 load-image IMAGE..."
  [ -S "$CONTAINERD_SOCK" ] || die "ci-cluster is not up (scripts/ci-cluster.sh up)"
  local image
  for image in "$@"; do
    step "loading $image from the Docker engine into the node"
    /usr/bin/docker save "$image" | ctr_cicl images import - >/dev/null
  done
}

main() {
  case "${1:-}" in
    build) cmd_build ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    kubeconfig) cmd_kubeconfig ;;
    env) cmd_env ;;
    load-image) shift; cmd_load_image "$@" ;;
    check) check_built && echo "ci-cluster: everything is built (Kubernetes $KUBE_VERSION)" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}
main "$@"; exit
