#!/usr/bin/env bash
# Dependencies of the Pulumi program and its unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

step "npm ci (Pulumi program)"
npm ci --no-audit --no-fund --loglevel=error
