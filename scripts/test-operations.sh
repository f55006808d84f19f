#!/usr/bin/env bash
# Day-2 operations (issue 13) on a real PostgreSQL, through Docker Compose:
#   - backup and restore round trip with scripts/db-backup.sh and scripts/db-restore.sh
#     (sign up, tasks, a conversation; back up; lose the volume; restore; sign in, same data),
#     and their refusals (non-empty database, not a dump, truncated dump, project not up);
#   - how the scripts find a Kubernetes stack's database (pulumi and kubectl stand-ins);
#   - secret rotation: a new BETTER_AUTH_SECRET signs users out, a new database password
#     needs ALTER ROLE (scripts/db-rotate-password.sh).
# The tests are node's test runner (tests/operations); this script builds the images, starts the
# Compose project on 127.0.0.1 and removes everything again on exit. The Kubernetes variant is
# tests/deploy/backup.test.mjs (area `deploy`).
#   BACKEND_IMAGE / FRONTEND_IMAGE: use these existing images instead of building (development).
# Needs: .ci/setup-docker.sh (Docker engine, docker-compose, base images).
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"
cd "$(dirname "$0")/.."

DOCKER=/usr/bin/docker # Debian's docker.io client: its built-in BuildKit needs no buildx
export DOCKER_BUILDKIT=1
for tool in "$DOCKER" docker-compose node; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run .ci/setup-docker.sh (as root)" >&2; exit 2; }
done
"$DOCKER" info >/dev/null 2>&1 || { echo "no Docker engine answers: run .ci/setup-docker.sh (as root)" >&2; exit 2; }

workdir="$(mktemp -d /tmp/todo-operations.XXXXXX)"
export COMPOSE_PROJECT_NAME="todo-chatbot-ops-$$" COMPOSE_FILE="$PWD/docker-compose.yml"
built=()

cleanup() {
  local status=$?
  if [ -f "$workdir/compose.env" ]; then
    # The variables must be set for Compose to read the file at all.
    set -a
    # shellcheck source=/dev/null
    source "$workdir/compose.env"
    set +a
    if [ "$status" -ne 0 ]; then docker-compose logs --no-color --tail=40 || true; fi
    docker-compose down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  [ ${#built[@]} -eq 0 ] || "$DOCKER" image rm "${built[@]}" >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT

# image APP: an existing image named by the environment, or one built from app/APP.
image() {
  local app="$1" var ref
  var="$(tr '[:lower:]' '[:upper:]' <<<"$app")_IMAGE"
  ref="${!var:-}"
  if [ -n "$ref" ]; then
    "$DOCKER" image inspect "$ref" >/dev/null 2>&1 || { echo "$var=$ref does not exist" >&2; return 1; }
    echo "$ref"; return 0
  fi
  ref="todo-chatbot-$app:ops-$$"
  local secret_args=()
  [ -s /etc/ssl/certs/ca-certificates.crt ] && secret_args=(--secret "id=ca,src=/etc/ssl/certs/ca-certificates.crt")
  step "building $ref" >&2
  "$DOCKER" build --progress=plain "${secret_args[@]}" -t "$ref" "app/$app" >"$workdir/build-$app.log" 2>&1 \
    || { tail -40 "$workdir/build-$app.log" >&2; return 1; }
  echo "$ref"
}
backend_image="$(image backend)"
frontend_image="$(image frontend)"
# image() runs in a subshell: what it built is recognised by its tag, for cleanup.
for ref in "$backend_image" "$frontend_image"; do [[ "$ref" == *":ops-$$" ]] && built+=("$ref"); done

step "docker-compose up (project $COMPOSE_PROJECT_NAME)"
base_url="$(compose_test_env "$workdir/compose.env" "$backend_image" "$frontend_image")"
# shellcheck source=/dev/null
(set -a; source "$workdir/compose.env"; set +a; docker-compose up -d --no-build)

step "operations tests (node --test tests/operations)"
# One file at a time (they share the project; each first waits for it to be healthy). The tests
# re-read compose.env for every Compose command: the rotation tests change it.
OPS_BASE_URL="$base_url" OPS_ENV_FILE="$workdir/compose.env" \
  node --test --test-concurrency=1 --test-reporter=spec tests/operations/*.test.mjs
