#!/usr/bin/env bash
# Linters for the repository's own glue: actionlint (GitHub workflows, built from its Go module)
# and ShellCheck (Debian), which actionlint also runs on the workflows' `run:` scripts.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ACTIONLINT_VERSION=v1.7.12

apt_install shellcheck
go_tool actionlint "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
