#!/usr/bin/env bash
# What scripts/test-containers.sh needs, on a clean Debian bookworm machine (as root):
# a running Docker engine (Debian's docker.io, started here when none answers),
# docker-compose, Debian's Chromium, the base images the Dockerfiles and the Compose file
# name (CI stand-ins when they cannot be pulled, the builders' trusting this machine's CA
# bundle: .ci/base-image-standins.sh), and the end-to-end test's npm packages. A fast no-op
# when everything is already there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

DOCKER=/usr/bin/docker # Debian's client: its built-in BuildKit works without buildx
DOCKERD_LOG="$TODO_CACHE/dockerd.log"

step "Docker engine, docker-compose, debootstrap, Chromium (Debian packages)"
apt_install docker.io docker-compose debootstrap chromium

if ! "$DOCKER" info >/dev/null 2>&1; then
  step "starting dockerd (log: $DOCKERD_LOG)"
  # Detached from this script's session so it outlives CI's setup step.
  setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  for _ in $(seq 60); do
    "$DOCKER" info >/dev/null 2>&1 && break
    sleep 0.5
  done
  "$DOCKER" info >/dev/null 2>&1 || { tail -20 "$DOCKERD_LOG" >&2; echo "dockerd did not start within 30 s" >&2; exit 1; }
fi
"$DOCKER" version --format 'Docker engine {{.Server.Version}}'

step "base images"
bash .ci/base-image-standins.sh

# npm ci reinstalls from scratch; skip it while package.json and the lockfile are the ones
# last installed (a changed package.json must reach npm ci's out-of-sync check).
lock_stamp="app/e2e/node_modules/.lock-sha256"
lock_hash="$(cat app/e2e/package.json app/e2e/package-lock.json | sha256sum)"
if [ "$(cat "$lock_stamp" 2>/dev/null)" != "$lock_hash" ]; then
  step "end-to-end test packages (npm ci in app/e2e)"
  (cd app/e2e && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$lock_stamp"
fi
