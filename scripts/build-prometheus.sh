#!/usr/bin/env bash
# CI tool: builds promtool and prometheus from the Go module github.com/prometheus/prometheus
# through the Go module proxy (CI here can reach no other download site). promtool checks and
# unit-tests the chart's alerting rules offline (scripts/test-monitoring.sh); prometheus is for
# running against a test cluster (it keeps Kubernetes service discovery; its web UI is not
# embedded: the module ships no compiled UI assets, the HTTP API works).
#
# Usage: scripts/build-prometheus.sh            build (a no-op when this version is already built)
#        scripts/build-prometheus.sh --bin-dir  print the bin directory (put it first on PATH)
# Output: $TODO_CACHE/prometheus/<module version>/bin/{promtool,prometheus}
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"

# Prometheus 3.x is published as the Go module v0.3xx.y: v0.316.0 is Prometheus 3.16.0.
PROMETHEUS_MODULE_VERSION=v0.316.0
PROMETHEUS_VERSION=3.16.0
MODULE=github.com/prometheus/prometheus
PROMETHEUS_DIR="$TODO_CACHE/prometheus/$PROMETHEUS_MODULE_VERSION"
BIN_DIR="$PROMETHEUS_DIR/bin"

# Build tags (plugins/*.go): remove_all_sd drops every service discovery but file and http;
# enable_<name>_sd puts one back. Fewer SDs means far fewer modules to download and compile.
PROMTOOL_TAGS=remove_all_sd
PROMETHEUS_TAGS=remove_all_sd,enable_kubernetes_sd

if [ "${1:-}" = "--bin-dir" ]; then echo "$BIN_DIR"; exit 0; fi
[ $# -eq 0 ] || { echo "usage: $0 [--bin-dir]" >&2; exit 2; }
command -v go >/dev/null || { echo "build-prometheus: go is missing (Go >= 1.26.7 from the machine image)" >&2; exit 1; }

export CGO_ENABLED=0
LDFLAGS="-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION -X github.com/prometheus/common/version.Branch=HEAD -X github.com/prometheus/common/version.Revision=$MODULE@$PROMETHEUS_MODULE_VERSION"

# built_from NAME TAGS: what a binary is built from; a different version or tag set rebuilds it.
built_from() { echo "$MODULE/cmd/$1@$PROMETHEUS_MODULE_VERSION tags=$2"; }
is_current() { [ -x "$BIN_DIR/$1" ] && [ "$(cat "$BIN_DIR/.$1.built-from" 2>/dev/null)" = "$(built_from "$1" "$2")" ]; }

if is_current promtool "$PROMTOOL_TAGS" && is_current prometheus "$PROMETHEUS_TAGS"; then
  step "promtool and prometheus $PROMETHEUS_VERSION: cached in $BIN_DIR"
  "$BIN_DIR/promtool" --version | head -1
  "$BIN_DIR/prometheus" --version | head -1
  exit 0
fi

# A throwaway module that requires Prometheus (outside the repository, made afresh each time):
# `go get` of the two commands resolves Prometheus' own go.mod requirements (the build uses its
# pinned versions) and downloads what they import with the tags (prometheus' tags include promtool's).
mkdir -p "$PROMETHEUS_DIR" "$BIN_DIR"
WORK_DIR="$(mktemp -d "$PROMETHEUS_DIR/.work.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT

# wait_with_progress PID REPORT [ARGS...]: wait for PID, printing the output of the command
# REPORT ARGS every 20 s (cold downloads and builds take minutes); returns PID's exit status.
wait_with_progress() {
  local pid="$1" report="$2" waited=0 status=0; shift 2
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    [ $((waited % 20)) -ne 0 ] || echo "  $("$report" "$@") [$waited s]"
  done
  wait "$pid" || status=$?
  return "$status"
}
# Progress lines: modules downloaded so far (`go: downloading` lines), packages compiled (`go build -v`).
downloaded() { echo "$1: $(grep -c '^go: downloading' "$2") modules downloaded"; }
compiled() { echo "$1: $(grep -cv '^go: ' "$2") of its $3 packages compiled (those already in GOCACHE are not listed)"; }

step "resolving $MODULE@$PROMETHEUS_MODULE_VERSION (Prometheus $PROMETHEUS_VERSION)"
started=$SECONDS
(
  cd "$WORK_DIR"
  go mod init prometheus-build >/dev/null 2>&1
  go get -tags "$PROMETHEUS_TAGS" "$MODULE/cmd/promtool@$PROMETHEUS_MODULE_VERSION" "$MODULE/cmd/prometheus@$PROMETHEUS_MODULE_VERSION"
) >"$WORK_DIR/get.log" 2>&1 &
wait_with_progress $! downloaded resolving "$WORK_DIR/get.log" \
  || { tail -30 "$WORK_DIR/get.log" >&2; echo "build-prometheus: go get $MODULE@$PROMETHEUS_MODULE_VERSION failed (log above)" >&2; exit 1; }
echo "  resolved [$((SECONDS - started)) s]"

# build NAME TAGS: download what cmd/NAME needs with those tags, then compile it (one build at a
# time, two compile jobs: the CI machine has two cores), with progress lines.
build() {
  local name="$1" tags="$2" package="$MODULE/cmd/$1" log="$WORK_DIR/$1.log" total started=$SECONDS
  if is_current "$name" "$tags"; then echo "  $name: cached"; return 0; fi
  step "building $name $PROMETHEUS_VERSION (tags $tags)"
  (cd "$WORK_DIR" && go list -tags "$tags" -deps "$package" >"$WORK_DIR/$name.deps" 2>"$log") &
  wait_with_progress $! downloaded "$name" "$log" \
    || { tail -30 "$log" >&2; echo "build-prometheus: go list $package failed (log above)" >&2; return 1; }
  total="$(wc -l <"$WORK_DIR/$name.deps")"
  (cd "$WORK_DIR" && go build -p 2 -trimpath -buildvcs=false -tags "$tags" -ldflags "$LDFLAGS" -v \
    -o "$WORK_DIR/$name" "$package" 2>>"$log") &
  wait_with_progress $! compiled "$name" "$log" "$total" \
    || { tail -30 "$log" >&2; echo "build-prometheus: go build $package failed (log above)" >&2; return 1; }
  "$WORK_DIR/$name" --version >/dev/null || { echo "build-prometheus: the built $name does not run" >&2; return 1; }
  mv -f "$WORK_DIR/$name" "$BIN_DIR/$name"
  built_from "$name" "$tags" >"$BIN_DIR/.$name.built-from"
  echo "  $name built in $((SECONDS - started)) s ($(du -m "$BIN_DIR/$name" | cut -f1) MiB)"
}

build promtool "$PROMTOOL_TAGS"
build prometheus "$PROMETHEUS_TAGS"

step "promtool and prometheus $PROMETHEUS_VERSION in $BIN_DIR"
"$BIN_DIR/promtool" --version | head -1
"$BIN_DIR/prometheus" --version | head -1
