#!/usr/bin/env bash
# Lints the workflow files (actionlint, with ShellCheck on their run: scripts) and every shell
# script of the repository (ShellCheck, warnings and errors). Setup: .ci/setup-lint.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

for tool in actionlint shellcheck; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run .ci/setup-lint.sh" >&2; exit 2; }
done

step "actionlint .github/workflows"
actionlint -color
echo "workflows: $(find .github/workflows -name '*.yml' | wc -l) files, no findings"

step "shellcheck (severity: warning)"
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
shellcheck --severity=warning --external-sources --source-path=SCRIPTDIR "${scripts[@]}"
echo "shell scripts: ${#scripts[@]} files, no findings"
