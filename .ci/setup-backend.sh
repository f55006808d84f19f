#!/usr/bin/env bash
# What the backend's tests and benchmark need: Debian's Python 3.11 (the interpreter of the
# production image), PostgreSQL 15 for the throwaway test server, wrk for the benchmark, and the
# locked virtualenv of app/backend (packages cached by uv under $TODO_CACHE). Idempotent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

step "backend: Debian packages (python3.11, postgresql-15, wrk)"
apt_install python3.11 postgresql-15 wrk

if ! command -v uv >/dev/null; then
  echo "uv is not installed: run .ci/setup-base.sh first" >&2
  exit 1
fi

step "backend: virtualenv (uv sync --locked)"
cd "$(dirname "$0")/../app/backend"
UV_PYTHON=/usr/bin/python3.11 UV_PYTHON_DOWNLOADS=never uv sync --locked
