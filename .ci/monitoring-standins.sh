#!/usr/bin/env bash
# CI-ONLY FIXTURE: stand-ins for the monitoring stack that the `monitoring` setting installs
# (components/monitoring.ts: the community chart kube-prometheus-stack 82.6.0) and for the
# postgres_exporter image components/database.ts runs beside PostgreSQL.
#
# The CI machine reaches no container registry and cannot fetch the chart, so CI could neither
# preview the production stack (monitoring on) nor show on the CI cluster that Prometheus scrapes
# the app. This script builds, under the same references the real ones have:
#   quay.io/prometheus-operator/prometheus-operator:v0.85.0         cmd/operator of the Go module
#   quay.io/prometheus-operator/prometheus-config-reloader:v0.85.0  cmd/prometheus-config-reloader
#   quay.io/prometheus/prometheus:v3.16.0                           scripts/build-prometheus.sh
#   quay.io/prometheuscommunity/postgres-exporter:v0.18.1           Debian's exporter (0.11.1!)
# and a stand-in chart `kube-prometheus-stack` 82.6.0 (.ci/monitoring-standin-chart: the real
# Prometheus Operator and a real Prometheus, nothing else), packaged into a Helm repository
# directory that tests serve on 127.0.0.1. Every image is labelled as a CI stand-in with its
# recipe's hash (org.todo-chatbot.standin-recipe): a changed recipe or binary rebuilds it; a
# local image of that name that is not a stand-in (pulled on a user's machine) is left alone.
#
# Faithfulness (what CI proves with them): the operator, the reloader and Prometheus are the
# upstream programs at those versions, built CGO_ENABLED=0 like upstream's, at the paths and with
# the entrypoints and users of the upstream images (/bin/operator, /bin/prometheus-config-reloader
# (the operator runs that path), /bin/prometheus + /bin/promtool, uid 65534), on `scratch`
# instead of busybox: no shell inside. Prometheus has only Kubernetes service discovery and no
# web UI (the HTTP API works). The exporter is Debian bookworm's build of the official
# postgres_exporter, 0.11.1, not 0.18.1: same flags, DATA_SOURCE_NAME, port 9187, pg_up, but
# fewer collectors and some metric names differ. docs/CI-CLUSTER.md ("Monitoring stand-ins")
# says what they leave unproven (Grafana, Alertmanager, kube-state-metrics, node-exporter,
# the real chart's templates).
#
# Usage: .ci/monitoring-standins.sh            build what is missing or outdated (idempotent)
#        .ci/monitoring-standins.sh --repo-dir  print the Helm repository directory
#        .ci/monitoring-standins.sh --images    print the stand-in image references, one a line
# Caches: $TODO_CACHE/prometheus-operator/<version>/bin (the Go builds, shared Go caches of
# .ci/lib.sh), $TODO_CACHE/standins/debs (.deb files), $TODO_CACHE/standins/helm-repo.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

OPERATOR_MODULE=github.com/prometheus-operator/prometheus-operator
OPERATOR_VERSION=v0.85.0
PROMETHEUS_VERSION=v3.16.0 # scripts/build-prometheus.sh builds it (module v0.316.0)
CHART_NAME=kube-prometheus-stack
CHART_VERSION=82.6.0
CHART_SRC=.ci/monitoring-standin-chart

OPERATOR_IMAGE=quay.io/prometheus-operator/prometheus-operator:$OPERATOR_VERSION
RELOADER_IMAGE=quay.io/prometheus-operator/prometheus-config-reloader:$OPERATOR_VERSION
PROMETHEUS_IMAGE=quay.io/prometheus/prometheus:$PROMETHEUS_VERSION
EXPORTER_IMAGE=quay.io/prometheuscommunity/postgres-exporter:v0.18.1
IMAGES=("$OPERATOR_IMAGE" "$RELOADER_IMAGE" "$PROMETHEUS_IMAGE" "$EXPORTER_IMAGE")

DOCKER=/usr/bin/docker # Debian's client: its built-in BuildKit works without buildx
OPERATOR_DIR="$TODO_CACHE/prometheus-operator/$OPERATOR_VERSION"
OPERATOR_BIN="$OPERATOR_DIR/bin"
DEBS="$TODO_CACHE/standins/debs" # shared with .ci/base-image-standins.sh
REPO_DIR="$TODO_CACHE/standins/helm-repo"
RECIPE_LABEL=org.todo-chatbot.standin-recipe
STANDIN_LABEL=org.todo-chatbot.standin

case "${1:-}" in
  --repo-dir) echo "$REPO_DIR"; exit 0 ;;
  --images) printf '%s\n' "${IMAGES[@]}"; exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--repo-dir|--images]" >&2; exit 2 ;;
esac

die() { echo "monitoring-standins: $*" >&2; exit 1; }
for tool in go helm python3; do command -v "$tool" >/dev/null || die "$tool not found (go: the machine image; helm: .ci/setup-chart.sh)"; done
apt_install file # `file` tells static from dynamic binaries
$DOCKER info >/dev/null 2>&1 || die "no Docker engine answers $DOCKER (.ci/setup-docker.sh starts one)"
START=$SECONDS

# with_heartbeat LABEL LOG COMMAND...: run COMMAND with its output in LOG, a line every 30 s
# (Go builds are silent for minutes); on failure the log's tail and an error.
with_heartbeat() {
  local label="$1" log="$2" started=$SECONDS heartbeat rc=0; shift 2
  (while sleep 30; do echo "  ... $label ($((SECONDS - started)) s)"; done) &
  heartbeat=$!
  "$@" >>"$log" 2>&1 || rc=$?
  kill "$heartbeat" 2>/dev/null || true
  wait "$heartbeat" 2>/dev/null || true
  if [ "$rc" != 0 ]; then tail -30 "$log" >&2; echo "monitoring-standins: $label failed (log above: $log)" >&2; fi
  return "$rc"
}

# ---------------------------------------------------------------------------------------------
# 1. The binaries.

operator_built_from() { echo "$OPERATOR_MODULE/cmd/$1@$OPERATOR_VERSION CGO_ENABLED=0 -trimpath"; }
operator_current() {
  local cmd
  for cmd in operator prometheus-config-reloader; do
    [ -x "$OPERATOR_BIN/$cmd" ] && [ "$(cat "$OPERATOR_BIN/.$cmd.built-from" 2>/dev/null)" = "$(operator_built_from "$cmd")" ] || return 1
  done
}

build_operator() {
  if operator_current; then echo "prometheus-operator $OPERATOR_VERSION (operator, prometheus-config-reloader): cached in $OPERATOR_BIN"; return 0; fi
  step "building prometheus-operator $OPERATOR_VERSION: operator, prometheus-config-reloader (Go module proxy, CGO_ENABLED=0)"
  local started=$SECONDS work log cmd
  mkdir -p "$OPERATOR_BIN"
  # A throwaway module requiring the operator: `go get` takes the operator's own go.mod pins.
  work="$(mktemp -d "$OPERATOR_DIR/.work.XXXXXX")"
  log="$OPERATOR_DIR/build.log"
  : >"$log"
  # Upstream's Makefile stamps the version the same way (the operator derives defaults from it).
  local ldflags="-s -w -X github.com/prometheus/common/version.Version=${OPERATOR_VERSION#v} -X github.com/prometheus/common/version.Revision=$OPERATOR_MODULE@$OPERATOR_VERSION -X github.com/prometheus/common/version.Branch=HEAD"
  (cd "$work" && go mod init prometheus-operator-standin >/dev/null 2>&1)
  (cd "$work" && with_heartbeat "resolving $OPERATOR_MODULE@$OPERATOR_VERSION" "$log" \
    go get "$OPERATOR_MODULE/cmd/operator@$OPERATOR_VERSION" "$OPERATOR_MODULE/cmd/prometheus-config-reloader@$OPERATOR_VERSION") \
    || { rm -rf "$work"; return 1; }
  echo "  resolved in $((SECONDS - started)) s"
  for cmd in operator prometheus-config-reloader; do
    local t=$SECONDS
    (cd "$work" && CGO_ENABLED=0 with_heartbeat "building $cmd" "$log" \
      go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$work/$cmd" "$OPERATOR_MODULE/cmd/$cmd") \
      || { rm -rf "$work"; return 1; }
    "$work/$cmd" --version >/dev/null 2>&1 || { rm -rf "$work"; die "the built $cmd does not run"; }
    file "$work/$cmd" | grep -q 'statically linked' || { rm -rf "$work"; die "$cmd is not statically linked: it cannot run FROM scratch"; }
    mv -f "$work/$cmd" "$OPERATOR_BIN/$cmd"
    operator_built_from "$cmd" >"$OPERATOR_BIN/.$cmd.built-from"
    echo "  $cmd built in $((SECONDS - t)) s ($(du -m "$OPERATOR_BIN/$cmd" | cut -f1) MiB)"
  done
  rm -rf "$work"
  echo "prometheus-operator $OPERATOR_VERSION built in $((SECONDS - started)) s"
}

# Debian's postgres_exporter and the C library it links (it is not static), as .deb files.
fetch_debs() {
  local uris name missing=()
  mkdir -p "$DEBS"
  # A fresh machine may not have the package lists yet (one apt-get update per run, as apt_install).
  if ! apt-cache show prometheus-postgres-exporter >/dev/null 2>&1 && [ ! -e /tmp/.todo-apt-updated ]; then
    apt-get update -qq && touch /tmp/.todo-apt-updated
  fi
  uris="$(apt-get download --print-uris prometheus-postgres-exporter libc6 2>/dev/null)" \
    || die "apt-get cannot find prometheus-postgres-exporter or libc6 in Debian's package lists"
  DEB_FILES=()
  while read -r _ name _; do
    DEB_FILES+=("$DEBS/$name")
    [ -s "$DEBS/$name" ] || missing+=("${name%%_*}")
  done <<<"$uris"
  if [ ${#missing[@]} -gt 0 ]; then
    step "downloading ${missing[*]} (Debian packages, cached in $DEBS)"
    (cd "$DEBS" && apt-get download -q=2 "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed') || true
  fi
  local deb
  for deb in "${DEB_FILES[@]}"; do [ -s "$deb" ] || die "download failed: $deb"; done
}

# ---------------------------------------------------------------------------------------------
# 2. The images: FROM scratch, recipe = Dockerfile + the context's files (binaries included).

# The nobody user of the upstream images' busybox base, for anything that looks users up.
write_passwd() {
  mkdir -p "$1/etc"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/home:/sbin/nologin\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$1/etc/group"
}

# build_image TAG CONTEXT DOCKERFILE: build unless the local image is the current stand-in.
build_image() {
  local tag="$1" ctx="$2" dockerfile="$3" recipe have
  recipe="recipe-sha256:$({ printf '%s' "$dockerfile"; (cd "$ctx" && find . \( -type f -o -type l \) -print0 | sort -z | xargs -0 sha256sum); } | sha256sum | cut -c1-64)"
  if have="$($DOCKER image inspect -f "{{with .Config.Labels}}{{index . \"$RECIPE_LABEL\"}}{{end}}|{{len .RepoDigests}}" "$tag" 2>/dev/null)"; then
    case "$have" in
      "$recipe|"*) echo "image $tag: current CI stand-in ($recipe)"; rm -rf "$ctx"; return 0 ;;
      "|0") echo "image $tag: a local image without the stand-in label: replacing it" ;;
      "|"*) echo "image $tag: present, pulled from its registry (not a stand-in): kept"; rm -rf "$ctx"; return 0 ;;
      *) echo "image $tag: a CI stand-in of another recipe: rebuilding" ;;
    esac
  fi
  local old; old="$($DOCKER image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
  DOCKER_BUILDKIT=1 $DOCKER build -q -t "$tag" \
    --label "$STANDIN_LABEL=CI stand-in built by .ci/monitoring-standins.sh, not the published image" \
    --label "$RECIPE_LABEL=$recipe" -f - "$ctx" >/dev/null <<<"$dockerfile" \
    || { rm -rf "$ctx"; die "docker build of $tag failed"; }
  rm -rf "$ctx"
  echo "image $tag: stand-in built ($($DOCKER image inspect -f '{{.Size}}' "$tag" | numfmt --to=si)B, $recipe)"
  if [ -n "$old" ] && [ "$old" != "$($DOCKER image inspect -f '{{.Id}}' "$tag")" ]; then $DOCKER rmi "$old" >/dev/null 2>&1 || true; fi
}

# operator_module_image TAG BINARY: a scratch image running /bin/BINARY (built from the operator's
# module) as nobody, as upstream's images do.
operator_module_image() {
  local tag="$1" binary="$2" ctx
  ctx="$(mktemp -d /tmp/todo-monitoring-standin.XXXXXX)"
  write_passwd "$ctx"
  install -m 0755 "$OPERATOR_BIN/$binary" "$ctx/$binary"
  build_image "$tag" "$ctx" "$(cat <<EOF
FROM scratch
COPY etc/ /etc/
COPY $binary /bin/$binary
USER 65534
LABEL org.opencontainers.image.version=${OPERATOR_VERSION#v} org.opencontainers.image.source=https://github.com/prometheus-operator/prometheus-operator
ENTRYPOINT ["/bin/$binary"]
EOF
)"
}

build_images() {
  step "stand-in images (FROM scratch, labelled $STANDIN_LABEL)"
  local ctx prom_bin
  prom_bin="$(bash scripts/build-prometheus.sh --bin-dir)"

  operator_module_image "$OPERATOR_IMAGE" operator
  operator_module_image "$RELOADER_IMAGE" prometheus-config-reloader

  # Upstream's Dockerfile: /bin/prometheus and promtool, the example config, /prometheus owned by
  # nobody and group-writable, WORKDIR /prometheus, the same ENTRYPOINT and CMD.
  ctx="$(mktemp -d /tmp/todo-monitoring-standin.XXXXXX)"
  write_passwd "$ctx"
  local prom_src
  prom_src="$(go env GOMODCACHE)/github.com/prometheus/prometheus@v0.316.0"
  install -m 0755 "$prom_bin/prometheus" "$ctx/prometheus"
  install -m 0755 "$prom_bin/promtool" "$ctx/promtool"
  install -D -m 0644 "$prom_src/documentation/examples/prometheus.yml" "$ctx/etc/prometheus/prometheus.yml"
  install -m 0644 "$prom_src/LICENSE" "$prom_src/NOTICE" "$ctx/"
  mkdir -m 0775 "$ctx/data"
  build_image "$PROMETHEUS_IMAGE" "$ctx" "$(cat <<EOF
FROM scratch
COPY etc/ /etc/
COPY prometheus promtool /bin/
COPY LICENSE NOTICE /
COPY --chown=65534:65534 data/ /prometheus/
WORKDIR /prometheus
USER 65534
EXPOSE 9090
VOLUME ["/prometheus"]
LABEL org.opencontainers.image.version=${PROMETHEUS_VERSION#v} org.opencontainers.image.source=https://github.com/prometheus/prometheus
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
EOF
)"

  # Debian's exporter links glibc dynamically: the libc6 package's files come along (no shell,
  # no package manager). Upstream's image: /bin/postgres_exporter, user nobody, port 9187.
  fetch_debs
  ctx="$(mktemp -d /tmp/todo-monitoring-standin.XXXXXX)"
  local root="$ctx/root" deb
  mkdir -p "$root"
  for deb in "${DEB_FILES[@]}"; do dpkg-deb -x "$deb" "$root"; done
  if ! file -L "$root/usr/bin/prometheus-postgres-exporter" | grep -q 'dynamically linked' || [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
    die "Debian's postgres_exporter is not what this recipe expects (dynamically linked against glibc)"
  fi
  mkdir -p "$root/bin"
  mv "$root/usr/bin/prometheus-postgres-exporter" "$root/bin/postgres_exporter"
  # Only what the exporter loads (ldd), the loader and the package's copyright files.
  find "$root" -mindepth 1 -maxdepth 1 ! -name bin ! -name lib ! -name lib64 ! -name usr ! -name etc -exec rm -rf {} +
  rm -rf "${root:?}"/usr/bin "${root:?}"/usr/sbin "${root:?}"/usr/libexec "${root:?}"/usr/share/{man,lintian,locale,info} \
    "${root:?}"/etc/* "${root:?}"/usr/lib/x86_64-linux-gnu/gconv
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  write_passwd "$root"
  dpkg-deb -f "$(printf '%s\n' "${DEB_FILES[@]}" | grep /prometheus-postgres-exporter_)" Version >"$root/etc/postgres-exporter-debian-version"
  build_image "$EXPORTER_IMAGE" "$ctx" "$(cat <<'EOF'
FROM scratch
COPY root/ /
EXPOSE 9187
USER 65534
LABEL org.opencontainers.image.version=0.11.1-debian org.opencontainers.image.source=https://github.com/prometheus-community/postgres_exporter
ENTRYPOINT ["/bin/postgres_exporter"]
EOF
)"
  check_images
}

# The images start: each binary answers --version in its container, as the user of the image.
check_images() {
  local image out
  for image in "$OPERATOR_IMAGE" "$RELOADER_IMAGE" "$PROMETHEUS_IMAGE" "$EXPORTER_IMAGE"; do
    out="$($DOCKER run --rm --network none "$image" --version 2>&1 | head -1)" || die "$image does not start: $out"
    printf '  %-66s %s\n' "$image" "$out"
  done
}

# ---------------------------------------------------------------------------------------------
# 3. The chart, packaged into a Helm repository directory.

package_chart() {
  local crd_src stage key
  crd_src="$(go env GOMODCACHE)/$OPERATOR_MODULE@$OPERATOR_VERSION/example/prometheus-operator-crd"
  [ -d "$crd_src" ] || (cd "$OPERATOR_DIR" && go mod download "$OPERATOR_MODULE@$OPERATOR_VERSION")
  [ -d "$crd_src" ] || die "no CRDs in $crd_src"
  [ -f "$CHART_SRC/Chart.yaml" ] || die "no chart sources in $CHART_SRC"
  key="$({ cd "$CHART_SRC" && find . -type f -print0 | sort -z | xargs -0 sha256sum; cd "$crd_src" && sha256sum ./*.yaml; } | sha256sum | cut -c1-64)"
  local tgz="$REPO_DIR/$CHART_NAME-$CHART_VERSION.tgz"
  if [ -s "$tgz" ] && [ -s "$REPO_DIR/index.yaml" ] && [ "$(cat "$REPO_DIR/.chart-sources.sha256" 2>/dev/null)" = "$key" ]; then
    echo "chart $CHART_NAME $CHART_VERSION (stand-in): current in $REPO_DIR"; return 0
  fi
  step "packaging the stand-in chart $CHART_NAME $CHART_VERSION ($CHART_SRC + the operator's CRDs) into $REPO_DIR"
  stage="$(mktemp -d /tmp/todo-monitoring-chart.XXXXXX)"
  cp -a "$CHART_SRC" "$stage/$CHART_NAME"
  mkdir -p "$stage/$CHART_NAME/crds"
  cp "$crd_src"/*.yaml "$stage/$CHART_NAME/crds/"
  # The chart must name exactly the images built above (the operator, the reloader, Prometheus).
  local refs ref
  refs="$(helm template "$CHART_NAME" "$stage/$CHART_NAME" --namespace monitoring \
    | sed -n -e 's/^ *image: *"\{0,1\}\([^" ]*\)"\{0,1\} *$/\1/p' -e 's/.*--prometheus-config-reloader=\([^" ]*\).*/\1/p' | sort -u)"
  for ref in "$OPERATOR_IMAGE" "$RELOADER_IMAGE" "$PROMETHEUS_IMAGE"; do
    grep -qxF "$ref" <<<"$refs" || { rm -rf "$stage"; die "the chart does not reference $ref (it references: ${refs//$'\n'/ })"; }
  done
  while read -r ref; do
    printf '%s\n' "${IMAGES[@]}" | grep -qxF "$ref" || { rm -rf "$stage"; die "the chart references $ref, which this script does not build"; }
  done <<<"$refs"
  helm lint --quiet "$stage/$CHART_NAME" >/dev/null || { helm lint "$stage/$CHART_NAME" >&2; rm -rf "$stage"; die "helm lint failed"; }
  mkdir -p "$REPO_DIR"
  rm -f "$REPO_DIR"/*.tgz
  helm package "$stage/$CHART_NAME" --destination "$REPO_DIR" >/dev/null
  helm repo index "$REPO_DIR"
  rm -rf "$stage"
  echo "$key" >"$REPO_DIR/.chart-sources.sha256"
  echo "  $(basename "$tgz"): $(du -k "$tgz" | cut -f1) KiB; index.yaml written"
}

build_operator
bash scripts/build-prometheus.sh
build_images
package_chart
step "monitoring stand-ins ready in $((SECONDS - START)) s"
echo "  images:    ${IMAGES[*]}"
echo "  Helm repo: $REPO_DIR (serve it on 127.0.0.1; chart $CHART_NAME $CHART_VERSION)"
