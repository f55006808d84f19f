#!/usr/bin/env bash
# Lints the workflow files (actionlint, with ShellCheck on their run: scripts), every shell
# script of the repository (ShellCheck, warnings and errors) and every lockfile (in sync with its
# manifest and complete for every platform: scripts/check-lockfiles.sh, which needs the npm
# registry). Setup: .ci/setup-lint.sh (uv: .ci/setup-base.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

require_tools 2 "run .ci/setup-lint.sh" actionlint shellcheck
require_tools 2 "run .ci/setup-base.sh" uv

step "actionlint .github/workflows"
actionlint -color
echo "workflows: $(find .github/workflows -name '*.yml' | wc -l) files, no findings"

step "shellcheck (severity: warning)"
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
shellcheck --severity=warning --external-sources --source-path=SCRIPTDIR "${scripts[@]}"
echo "shell scripts: ${#scripts[@]} files, no findings"

step "lockfile check: its own tests (scripts/check-lockfiles.test.sh)"
bash scripts/check-lockfiles.test.sh

step "lockfiles (scripts/check-lockfiles.sh)"
bash scripts/check-lockfiles.sh
