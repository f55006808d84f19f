#!/usr/bin/env bash
# What the frontend's tests need: Node.js >= 20.19 (part of the CI machine image), PostgreSQL 15
# (scripts/with-postgres.sh) and app/frontend's npm dependencies, exactly as locked.
# Idempotent: a second run with an unchanged lockfile returns in about a second.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../app/frontend"

step "frontend: Debian packages"
apt_install postgresql-15

node_version="$(node --version 2>/dev/null || true)"
if ! node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)' 2>/dev/null; then
  echo "Node.js >= 20.19 is required (found: ${node_version:-none}); install Node.js 20 LTS from nodejs.org or NodeSource" >&2
  exit 1
fi

# Installing takes minutes: skip it when the installed tree already matches the lockfile (and
# package.json, so an out-of-sync pair still reaches npm ci's refusal).
lock_hash="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
stamp=node_modules/.todo-lock.sha256
if [ "$(cat "$stamp" 2>/dev/null)" = "$lock_hash" ]; then
  echo "frontend: node_modules matches package-lock.json ($node_version)"
  exit 0
fi
step "frontend: npm ci ($node_version, npm cache in $npm_config_cache)"
# npm ci installs exactly the lockfile and refuses one out of sync with package.json
# (scripts/check-lockfiles.sh says how to fix it). --ignore-scripts: nothing may depend on an
# install-time download (the build machines are offline).
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$lock_hash" >"$stamp"
