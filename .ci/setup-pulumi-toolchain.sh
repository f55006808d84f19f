#!/usr/bin/env bash
# The Pulumi toolchain (CLI, language host, providers) built from Go modules for the engine tests.
# Idempotent: components already built at the lockfile's versions are reused in seconds.
# Usage: .ci/setup-pulumi-toolchain.sh [COMPONENT...]   (default: every component; see
#        scripts/build-pulumi-toolchain.sh and docs/PULUMI_TOOLCHAIN.md)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

step "Debian packages for the Pulumi toolchain build"
apt_install ca-certificates jq
command -v go >/dev/null || { echo "go is missing: this machine image ships Go >= 1.25 at /usr/local/go" >&2; exit 1; }

exec bash "$(dirname "$0")/../scripts/build-pulumi-toolchain.sh" "$@"
