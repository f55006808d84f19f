#!/usr/bin/env bash
# CI tool, not a user command: users install Pulumi the normal way (https://www.pulumi.com/docs/iac/download-install/).
# Builds the Pulumi toolchain from Go modules through the Go module proxy, because CI here can
# reach no other download site. Versions come from package-lock.json (the @pulumi packages), so
# the engine always matches the SDK the program runs with. How it works and what blocks which
# component: docs/PULUMI_TOOLCHAIN.md.
#
# Usage: scripts/build-pulumi-toolchain.sh [COMPONENT...]   build (default: every component)
#        scripts/build-pulumi-toolchain.sh --bin-dir         print the toolchain's bin directory
# Components: cli language-nodejs random docker kubernetes
# Output:     $TODO_CACHE/pulumi-toolchain/<pulumi-version>/bin (put it first on PATH)
# Exit code:  0 when every requested component is in bin, 1 otherwise (the summary says why).
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
LOCKFILE="$REPO/package-lock.json"
ALL_COMPONENTS=(cli language-nodejs random docker kubernetes)

export CGO_ENABLED=0
GO_BUILD_FLAGS=(-p 2 -trimpath -buildvcs=false)

die() { echo "build-pulumi-toolchain: $*" >&2; exit 1; }

# npm_version PACKAGE: the version package-lock.json resolves for PACKAGE.
npm_version() {
  jq -er --arg path "node_modules/$1" '.packages[$path].version // empty' "$LOCKFILE" \
    || die "$LOCKFILE does not resolve $1: run 'npm install' first"
}

# plugin_version NAME: the resource plugin version the program asks for: lib/pluginVersions.json
# where it names one (a plugin newer than its SDK, docs/DECISIONS.md), else the SDK's version.
plugin_version() {
  local pinned
  pinned="$(jq -r --arg name "$1" '.[$name] // empty' "$REPO/lib/pluginVersions.json")"
  if [ -n "$pinned" ]; then echo "$pinned"; else npm_version "@pulumi/$1"; fi
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
    kubernetes | docker | random) provider_version[$component]="$(plugin_version "$component")" ;;
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

# Upstream sources the module proxy refuses (../shared/third_party/README.md): archive -> sha256.
declare -A ARCHIVE_SHA256=(
  [pulumi-language-nodejs-v3.248.0.tar.gz]=5802e644676d5766f02669eca1651323c92039ae224a28cd6dbc22dccf85f97c
  [pulumi-random-v4.19.1-provider.tar.gz]=4bd98e3759e6c002f53d8597f28dab9760f9df382004a516bb2e9e55ab92d5d2
  [pulumi-docker-v5.1.0-provider.tar.gz]=3f860ed00ad9fb92d3c9f0b890e6cd9604262bef52171324e18894115815a192
  [terraform-provider-docker-v4.5.0.tar.gz]=629c371f934f6de877ed1318edb8863dc8f56ed0ca1f58837245314b30cb5bdf
)
THIRD_PARTY_DIR="${TODO_THIRD_PARTY:-$REPO/../shared/third_party}"

# unpack_archive NAME DEST: verify NAME's checksum, then unpack it into DEST (outside the repository).
unpack_archive() {
  local archive="$THIRD_PARTY_DIR/$1" expected="${ARCHIVE_SHA256[$1]:-}"
  [ -n "$expected" ] || { echo "no checksum is recorded for $1: add it to ARCHIVE_SHA256 with its source" >&2; return 1; }
  [ -f "$archive" ] || { echo "$archive is missing (set TODO_THIRD_PARTY to the folder that holds the upstream archives)" >&2; return 1; }
  [ "$(sha256sum "$archive" | cut -d' ' -f1)" = "$expected" ] || { echo "$archive: sha256 mismatch (expected $expected): refusing to build from it" >&2; return 1; }
  mkdir -p "$2" && tar -xzf "$archive" -C "$2"
}

# writable_copy MODULE_DIR DEST: a copy of a read-only module directory that a build may change.
writable_copy() { cp -r "$1" "$2" && chmod -R u+w "$2"; }

# plugin_install NAME VERSION BINARY: make the plugin known to the CLI in $PULUMI_HOME, offline
# (a no-op when exactly that binary is installed under that version).
plugin_install() {
  local dir="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-$1-v$2"
  cmp -s "$3" "$dir/pulumi-resource-$1" && [ ! -e "$dir.partial" ] && return 0  # .partial: an interrupted install
  "$BIN_DIR/pulumi" plugin install resource "$1" "$2" --file "$3" --reinstall >/dev/null
}

# The Node.js language host: the upstream directory unpacked into a writable copy of the
# sdk/v3 module, with pkg/v3 beside it (its go.mod replaces both by relative paths).
build_language_nodejs() {
  local key="pulumi-language-nodejs@v$PULUMI_VERSION" archive="pulumi-language-nodejs-v$PULUMI_VERSION.tar.gz" sdk src="$WORK_DIR/language-nodejs" reported
  if is_current pulumi-language-nodejs "$key"; then result[language-nodejs]="cached ($key)"; return 0; fi
  fetch_pkg_module
  sdk="$(fetch_module "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION")"
  error="$(module_error "$pkg_record")$(module_error "$sdk")"
  if [ -n "$error" ]; then result[language-nodejs]="NOT BUILT: $error"; return 1; fi
  mkdir -p "$src"
  writable_copy "$(jq -r .Dir <<<"$sdk")" "$src/sdk"
  ln -s "$(jq -r .Dir <<<"$pkg_record")" "$src/pkg"
  if ! unpack_archive "$archive" "$src" 2>"$WORK_DIR/unpack.err"; then
    result[language-nodejs]="NOT BUILT: $(cat "$WORK_DIR/unpack.err")"; return 1
  fi
  if ! (cd "$src/sdk/nodejs/cmd/pulumi-language-nodejs" && go mod tidy >/dev/null 2>&1 &&
      go_build_with_progress language-nodejs . "$WORK_DIR/pulumi-language-nodejs" \
        -ldflags "-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"); then
    result[language-nodejs]="NOT BUILT: go build failed (log above)"; return 1
  fi
  reported="$("$WORK_DIR/pulumi-language-nodejs" -version 2>&1 || true)"
  if [ "$reported" != "v$PULUMI_VERSION" ] && [ "$reported" != "$PULUMI_VERSION" ]; then
    result[language-nodejs]="NOT BUILT: the binary reports version '$reported', expected v$PULUMI_VERSION"; return 1
  fi
  install_binary pulumi-language-nodejs "$WORK_DIR/pulumi-language-nodejs" "$key"
  result[language-nodejs]="built ($key)"
}

# The kubernetes provider's release commit is served only as a pseudo-version
# (the library's go-partial.tsv); its sdk/v4 module at the tag sits beside it as ../sdk.
declare -A KUBERNETES_PROVIDER_MODULE_VERSION=([4.25.0]=v4.0.0-20260115033456-f47bc2d6f199)

# prepare_kubernetes SRC: the provider's sources in SRC/provider, ready to build.
prepare_kubernetes() {
  local version="$1" src="$2" module_version provider sdk
  module_version="${KUBERNETES_PROVIDER_MODULE_VERSION[$version]:-}"
  [ -n "$module_version" ] || { echo "no known Go module version of pulumi-kubernetes provider v$version: add its pseudo-version to KUBERNETES_PROVIDER_MODULE_VERSION" >&2; return 1; }
  provider="$(fetch_module "github.com/pulumi/pulumi-kubernetes/provider/v4@$module_version")"
  sdk="$(fetch_module "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$version")"
  error="$(module_error "$provider")$(module_error "$sdk")"
  [ -z "$error" ] || { echo "$error" >&2; return 1; }
  writable_copy "$(jq -r .Dir <<<"$provider")" "$src/provider"
  ln -s "$(jq -r .Dir <<<"$sdk")" "$src/sdk"
}

# prepare_random SRC: the upstream provider directory, which builds unmodified.
prepare_random() { unpack_archive "pulumi-random-v$1-provider.tar.gz" "$2"; }

# prepare_docker SRC: the provider beside its Terraform upstream (go.mod: ../upstream), with
# pulumi-docker's patches applied to the upstream as its release build does.
prepare_docker() {
  local version="$1" src="$2" upstream_version patch
  upstream_version="$(docker_upstream_version "$version")" || return 1
  unpack_archive "pulumi-docker-v$version-provider.tar.gz" "$src" || return 1
  unpack_archive "terraform-provider-docker-v$upstream_version.tar.gz" "$src/upstream" || return 1
  for patch in "$src"/patches/*.patch; do
    git -C "$src/upstream" apply "$patch" || { echo "$(basename "$patch") does not apply to terraform-provider-docker v$upstream_version" >&2; return 1; }
  done
}
# The Terraform provider that each pulumi-docker release pins as its `upstream` submodule.
docker_upstream_version() {
  case "$1" in
    5.1.0) echo 4.5.0 ;;
    *) echo "no known upstream of pulumi-docker v$1: add the terraform-provider-docker tag its submodule pins" >&2; return 1 ;;
  esac
}

# Each provider: prepare its sources, generate the embedded schema (`go generate` with VERSION,
# as the release build does), build cmd/pulumi-resource-<name> with the version stamped in,
# check the binary's reported version, install it as a plugin of that version.
build_provider() {
  local name="$1" version="${provider_version[$1]}" src="$WORK_DIR/$1" cmd key tags=() major
  major="${version%%.*}"
  [ -x "$BIN_DIR/pulumi" ] || { result[$name]="NOT BUILT: the CLI must be built first (component cli) to install the plugin"; return 1; }
  key="pulumi-resource-$name@v$version"
  if is_current "pulumi-resource-$name" "$key"; then
    plugin_install "$name" "$version" "$BIN_DIR/pulumi-resource-$name"
    result[$name]="cached ($key)"; return 0
  fi
  mkdir -p "$src"
  if ! "prepare_$name" "$version" "$src" 2>"$WORK_DIR/$name.prepare.err"; then
    result[$name]="NOT BUILT: $(tr '\n' ' ' <"$WORK_DIR/$name.prepare.err")"; return 1
  fi
  [ "$name" = docker ] && tags=(-tags no_compose)  # pulumi-docker's release build leaves compose support out
  cmd="$src/provider/cmd/pulumi-resource-$name"
  modules_downloaded() { echo "$name: $(grep -c '"Path"' "$WORK_DIR/$name.modules") modules downloaded or found in the cache"; }
  (cd "$src/provider" && go mod download -json >"$WORK_DIR/$name.modules" 2>&1) &
  wait_with_progress $! modules_downloaded || { result[$name]="NOT BUILT: go mod download failed: $(grep -m1 '"Error"' "$WORK_DIR/$name.modules")"; return 1; }
  echo "  $name: generating the embedded schema (go generate)"
  if ! (cd "$cmd" && VERSION="$version" go generate ./main.go >"$WORK_DIR/$name.generate.log" 2>&1); then
    tail -30 "$WORK_DIR/$name.generate.log" >&2
    result[$name]="NOT BUILT: go generate failed (log above)"; return 1
  fi
  if ! (cd "$cmd" && go_build_with_progress "$name" . "$WORK_DIR/pulumi-resource-$name" "${tags[@]}" \
      -ldflags "-w -s -X github.com/pulumi/pulumi-$name/provider/v$major/pkg/version.Version=$version"); then
    result[$name]="NOT BUILT: go build failed (log above)"; return 1
  fi
  install_binary "pulumi-resource-$name" "$WORK_DIR/pulumi-resource-$name" "$key"
  plugin_install "$name" "$version" "$BIN_DIR/pulumi-resource-$name"
  result[$name]="built ($key)"
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
