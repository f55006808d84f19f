#!/usr/bin/env bash
# CI tool, not a user command: users install Pulumi the normal way (https://www.pulumi.com/docs/iac/download-install/).
# Builds the Pulumi toolchain from Go modules through the Go module proxy, because CI here can
# reach no other download site. Versions come from package-lock.json (the @pulumi packages), so
# the engine always matches the SDK the program runs with. How it works and what blocks which
# component: docs/PULUMI_TOOLCHAIN.md.
#
# Usage: scripts/build-pulumi-toolchain.sh [COMPONENT...]   build (default: every component)
#        scripts/build-pulumi-toolchain.sh --bin-dir         print the toolchain's bin directory
# Components: cli language-nodejs kubernetes docker random
# Output:     $TODO_CACHE/pulumi-toolchain/<pulumi-version>/bin (put it first on PATH)
# Exit code:  0 when every requested component is in bin, 1 otherwise (the summary says why).
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
LOCKFILE="$REPO/package-lock.json"
ALL_COMPONENTS=(cli language-nodejs kubernetes docker random)

# Go module and build caches are content-addressed, so every toolchain version shares them.
export GOMODCACHE="$TODO_CACHE/go/mod"
export GOCACHE="$TODO_CACHE/go/build"
export CGO_ENABLED=0
GO_BUILD_FLAGS=(-p 2 -trimpath -buildvcs=false)

die() { echo "build-pulumi-toolchain: $*" >&2; exit 1; }

# npm_version PACKAGE: the version package-lock.json resolves for PACKAGE.
npm_version() {
  jq -er --arg path "node_modules/$1" '.packages[$path].version // empty' "$LOCKFILE" \
    || die "$LOCKFILE does not resolve $1: run 'npm install' first"
}

command -v jq >/dev/null || die "jq is missing: run .ci/setup-pulumi-toolchain.sh (or apt-get install jq)"
[ -f "$LOCKFILE" ] || die "no $LOCKFILE"
PULUMI_VERSION="$(npm_version @pulumi/pulumi)"
TOOLCHAIN_DIR="$TODO_CACHE/pulumi-toolchain/$PULUMI_VERSION"
BIN_DIR="$TOOLCHAIN_DIR/bin"

if [ "${1:-}" = "--bin-dir" ]; then echo "$BIN_DIR"; exit 0; fi
command -v go >/dev/null || die "go is missing: install Go >= 1.25 (https://go.dev/doc/install)"

requested=("${@:-${ALL_COMPONENTS[@]}}")
declare -A provider_version  # provider name -> the version of its @pulumi/<name> npm package
for component in "${requested[@]}"; do
  case "$component" in
    cli | language-nodejs) ;;
    kubernetes | docker | random) provider_version[$component]="$(npm_version "@pulumi/$component")" ;;
    *) die "unknown component '$component' (known: ${ALL_COMPONENTS[*]})" ;;
  esac
done

mkdir -p "$BIN_DIR"
WORK_DIR="$(mktemp -d "$TODO_CACHE/pulumi-toolchain/.work.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT

declare -A result  # component -> one-line outcome for the summary

# fetch_module MODULE@VERSION: download it into GOMODCACHE and print its `go mod download -json`
# record. The proxy's checksum database has no record of some Pulumi modules (it answers 404);
# only then is that one module fetched unverified, with a warning.
fetch_module() {
  local record
  record="$(go mod download -json "$1" 2>/dev/null || true)"
  if jq -e '.Error // "" | test("verifying .*sumdb.* 404 Not Found")' <<<"$record" >/dev/null; then
    echo "warning: the checksum database has no record of $1; fetching it unverified" >&2
    record="$(GONOSUMDB="${1%@*}" go mod download -json "$1" 2>/dev/null || true)"
  fi
  printf '%s\n' "$record"
}

# module_error RECORD: the download error of a `go mod download -json` record, empty when fetched.
module_error() { jq -r '.Error // empty' <<<"$1" | tr '\n\t' '  '; }

# is_current BINARY KEY: BINARY is in bin and was built from KEY (module@version).
is_current() { [ -x "$BIN_DIR/$1" ] && [ "$(cat "$BIN_DIR/.$1.built-from" 2>/dev/null)" = "$2" ]; }

# wait_with_progress PID REPORT: wait for PID, printing the output of the command REPORT every
# 30 s (cold downloads and builds take minutes); returns PID's exit status.
wait_with_progress() {
  local pid="$1" report="$2" waited=0 status=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    [ $((waited % 30)) -ne 0 ] || echo "  $($report) [$waited s]"
  done
  wait "$pid" || status=$?
  return "$status"
}

# go_build_with_progress NAME PACKAGE OUTPUT [GO FLAGS...]: `go build` in the current directory,
# after downloading the modules PACKAGE needs, with progress lines for both.
go_build_with_progress() {
  local name="$1" package="$2" output="$3"; shift 3
  local deps="$WORK_DIR/$name.deps" log="$WORK_DIR/$name.log" total
  downloaded() { echo "$name: $(grep -c '^go: downloading' "$log") modules downloaded"; }
  compiled() { echo "$name: $(grep -cv '^go: ' "$log") of the $total packages it needs compiled (cached ones are not)"; }

  go list -deps "$package" >"$deps" 2>"$log" &
  wait_with_progress $! downloaded || { tail -40 "$log" >&2; return 1; }
  total="$(wc -l <"$deps")"
  go build "${GO_BUILD_FLAGS[@]}" -v -o "$output" "$@" "$package" 2>>"$log" &
  wait_with_progress $! compiled || { tail -40 "$log" >&2; return 1; }
}

# install_binary NAME BUILT_FILE KEY: move a freshly built binary into bin and record its key.
install_binary() {
  mv -f "$2" "$BIN_DIR/$1"
  echo "$3" >"$BIN_DIR/.$1.built-from"
}

size_mib() { du -m "$1" | cut -f1; }

# The CLI's module; its download record also names the release commit.
PKG_MODULE="github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION"
pkg_record=""
fetch_pkg_module() { [ -n "$pkg_record" ] || pkg_record="$(fetch_module "$PKG_MODULE")"; }

# The CLI: github.com/pulumi/pulumi/pkg/v3 replaces the sdk module by ../sdk, so both modules at
# the same version are laid side by side (links into the read-only module cache) and ./cmd/pulumi
# is built inside pkg, with the flags of Pulumi's release build (.goreleaser.yml).
build_cli() {
  local sdk error src="$WORK_DIR/src" reported
  if is_current pulumi "$PKG_MODULE"; then result[cli]="cached ($PKG_MODULE)"; return 0; fi
  fetch_pkg_module
  sdk="$(fetch_module "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION")"
  error="$(module_error "$pkg_record")$(module_error "$sdk")"
  if [ -n "$error" ]; then result[cli]="NOT BUILT: $error"; return 1; fi

  mkdir -p "$src"
  ln -s "$(jq -r .Dir <<<"$pkg_record")" "$src/pkg"
  ln -s "$(jq -r .Dir <<<"$sdk")" "$src/sdk"
  if ! (cd "$src/pkg" && go_build_with_progress cli ./cmd/pulumi "$WORK_DIR/pulumi" \
      -ldflags "-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"); then
    result[cli]="NOT BUILT: go build failed (log above)"; return 1
  fi
  reported="$("$WORK_DIR/pulumi" version 2>&1)"
  if [ "$reported" != "v$PULUMI_VERSION" ]; then
    result[cli]="NOT BUILT: the binary reports version '$reported', expected v$PULUMI_VERSION"; return 1
  fi
  install_binary pulumi "$WORK_DIR/pulumi" "$PKG_MODULE"
  result[cli]="built ($PKG_MODULE)"
}

# The Node.js language host is its own module, untagged, so it is wanted at the commit of the
# CLI's release tag (the proxy resolves a commit to its pseudo-version).
build_language_nodejs() {
  local module="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3" commit record error
  fetch_pkg_module
  commit="$(jq -r '.Origin.Hash // empty' <<<"$pkg_record")"
  if [ -z "$commit" ]; then
    result[language-nodejs]="NOT BUILT: the module proxy names no release commit for $PKG_MODULE"
    return 1
  fi
  record="$(fetch_module "$module@$commit")"
  error="$(module_error "$record")"
  # A fetched module needs a build recipe verified against its source; none exists yet (see docs).
  result[language-nodejs]="NOT BUILT: ${error:-fetched $module@$commit, but no verified build recipe exists yet}"
  return 1
}

# Providers live in provider/ of their repositories, one module per major version.
build_provider() {
  local name="$1" version="${provider_version[$1]}" module record error
  module="github.com/pulumi/pulumi-$name/provider/v${version%%.*}"
  record="$(fetch_module "$module@v$version")"
  error="$(module_error "$record")"
  result[$name]="NOT BUILT: ${error:-fetched $module@v$version, but no verified build recipe exists yet}"
  return 1
}

missing=0
for component in "${requested[@]}"; do
  step "pulumi toolchain: $component"
  started=$SECONDS
  case "$component" in
    cli) build_cli ;;
    language-nodejs) build_language_nodejs ;;
    *) build_provider "$component" ;;
  esac || missing=$((missing + 1))
  echo "  $component: ${result[$component]} [$((SECONDS - started)) s]"
done

step "pulumi toolchain v$PULUMI_VERSION in $BIN_DIR"
for component in "${requested[@]}"; do
  printf '  %-16s %s\n' "$component" "${result[$component]}"
done
for binary in "$BIN_DIR"/*; do
  [ -x "$binary" ] && printf '  %-16s %s MiB\n' "$(basename "$binary")" "$(size_mib "$binary")"
done
if [ "$missing" -gt 0 ]; then
  echo "$missing of ${#requested[@]} components are not built (docs/PULUMI_TOOLCHAIN.md says why)" >&2
  exit 1
fi
