#!/usr/bin/env bash
# Dependencies of the Pulumi program and its unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

step "npm ci (Pulumi program)"
# --ignore-scripts: @pulumi/kubernetes's install script downloads its plugin; the CLI resolves plugins itself.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
