#!/usr/bin/env bash
# The backend's tests: ruff (lint and format), mypy (strict), then pytest against a real PostgreSQL,
# including the schemathesis fuzz run. Uses $DATABASE_URL's server when set (the tests create and
# drop their own databases there); otherwise scripts/with-postgres.sh starts a throwaway one on
# loopback and removes it on exit. Needs .ci/setup-backend.sh to have run.
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/app/backend"

export UV_PYTHON=/usr/bin/python3.11 UV_PYTHON_DOWNLOADS=never
if ! command -v uv >/dev/null || [ ! -x .venv/bin/python ]; then
  echo "the backend's environment is missing: run .ci/setup-backend.sh (as root) first" >&2
  exit 2
fi
run=(uv run --locked --)

step "backend: ruff check"
"${run[@]}" ruff check .
step "backend: ruff format --check"
"${run[@]}" ruff format --check .
step "backend: mypy (strict)"
"${run[@]}" mypy
step "backend: pytest against PostgreSQL"
"$root/scripts/with-postgres.sh" "${run[@]}" pytest "$@"
