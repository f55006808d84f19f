#!/usr/bin/env bash
# The project's test command: runs every area's test script and prints one summary line.
# Usage: scripts/test.sh [AREA...]   (default: all areas, in order)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
source .ci/lib.sh

ALL_AREAS=(lint pulumi pulumi-toolchain pulumi-engine chart monitoring backend frontend containers operations cluster deploy)
areas=("${@:-${ALL_AREAS[@]}}")
passed=0 failed=0 failures=()
for area in "${areas[@]}"; do
  script="scripts/test-$area.sh"
  if [ ! -f "$script" ]; then echo "unknown test area '$area' (no $script)" >&2; exit 2; fi
  step "test area: $area"
  start=$SECONDS
  if bash "$script"; then
    passed=$((passed + 1)); echo "area $area passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1)); failures+=("$area"); echo "area $area FAILED in $((SECONDS - start)) s"
  fi
done
echo
[ "$failed" -gt 0 ] && echo "failed areas: ${failures[*]}"
echo "areas: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
