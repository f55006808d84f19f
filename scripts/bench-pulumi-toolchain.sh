#!/usr/bin/env bash
# Benchmark of scripts/build-pulumi-toolchain.sh (figures go to docs/BENCHMARKS.md, "Pulumi
# toolchain and previews"): a cold build in an empty, throwaway cache (every Go module downloaded,
# every package compiled), then the cached re-run that CI sees on a reused machine.
# Usage: scripts/bench-pulumi-toolchain.sh   (about 10 minutes on 2 cores; needs ~4 GB in /tmp)
set -uo pipefail
source "$(dirname "$0")/../.ci/lib.sh"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
COLD_CACHE="$(mktemp -d /tmp/pulumi-toolchain-bench.XXXXXX)"
trap 'chmod -R u+w "$COLD_CACHE"; rm -rf "$COLD_CACHE"' EXIT  # the Go module cache is read-only

# timed_build LABEL: run the build script against the throwaway cache, print its per-component
# lines, the wall time and the CPU time (which depends less on what else runs on the machine).
# The build script's exit code is reported, not fatal: a component the module proxy refuses must
# not hide the timings of the others.
timed_build() {
  local status=0 TIMEFORMAT="%0R s wall, %0U s user + %0S s system CPU"
  { time TODO_CACHE="$COLD_CACHE" bash "$REPO/scripts/build-pulumi-toolchain.sh" >"$COLD_CACHE/$1.log" 2>&1 || status=$?; } 2>"$COLD_CACHE/$1.time"
  echo "$1 run: $(cat "$COLD_CACHE/$1.time"), exit code $status, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
  grep -E '^  [a-z-]+: (built|cached|NOT BUILT)' "$COLD_CACHE/$1.log" | sed -E 's/(NOT BUILT: .{100}).*/\1.../'
}

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(go version | cut -d' ' -f3), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
step "cold build (empty GOMODCACHE and GOCACHE in $COLD_CACHE)"
timed_build cold
step "cached re-run"
timed_build cached
step "sizes"
bin_dir="$(TODO_CACHE="$COLD_CACHE" bash "$REPO/scripts/build-pulumi-toolchain.sh" --bin-dir)"
for binary in "$bin_dir"/*; do
  [ -x "$binary" ] && echo "$(basename "$binary"): $(du -m "$binary" | cut -f1) MiB"
done
echo "Go module cache: $(du -sm "$COLD_CACHE/go/mod" | cut -f1) MiB, Go build cache: $(du -sm "$COLD_CACHE/go/build" | cut -f1) MiB"
