#!/usr/bin/env bash
# Tests of the frontend (app/frontend): ESLint, TypeScript, Vitest (unit, route-handler and
# component tests; the route tests use a throwaway PostgreSQL and a fake backend on 127.0.0.1),
# then a clean production build. Needs .ci/setup-frontend.sh to have run.
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo/app/frontend"

[ -x node_modules/.bin/next ] || { echo "app/frontend/node_modules is missing: run .ci/setup-frontend.sh" >&2; exit 2; }

step "frontend: lint (eslint, zero warnings)"
npx --no-install eslint --max-warnings=0 .

step "frontend: type check (next typegen, tsc --noEmit)"
rm -rf .next
npx --no-install next typegen
npx --no-install tsc --noEmit

step "frontend: unit, route and component tests (vitest)"
"$repo/scripts/with-postgres.sh" npx --no-install vitest run

step "frontend: production build (next build)"
rm -rf .next
npx --no-install next build
echo "standalone output: $(du -sh .next/standalone | cut -f1)"
