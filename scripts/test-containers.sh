#!/usr/bin/env bash
# Container tests (issue 6), against a real Docker engine:
#   1. builds both images from the real Dockerfiles, from a copy of each build context
#      with canary secrets planted in it (.env files), and checks each image: non-root
#      user, size budget, and no canary, no host CA certificate and no secret-looking
#      setting in any layer, in its history or in its config;
#   2. runs the whole app with docker-compose (generated env file, published on
#      127.0.0.1 only), checks every container became healthy and runs as non-root;
#   3. drives the app in headless Chromium (app/e2e, node --test).
# Everything it starts is removed on exit (`docker-compose down -v`).
# Needs: .ci/setup-docker.sh (Docker engine, docker-compose, Chromium, base images,
# app/e2e packages).
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"
cd "$(dirname "$0")/.."

DOCKER=/usr/bin/docker # Debian's docker.io client: its built-in BuildKit needs no buildx
export DOCKER_BUILDKIT=1
# Budgets from issue 6, in the unit `docker images` shows (1 MB = 10^6 bytes).
BACKEND_BUDGET_MB=120
FRONTEND_BUDGET_MB=150
HEALTHY_TIMEOUT_S=120

for tool in "$DOCKER" docker-compose /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run .ci/setup-docker.sh (as root)" >&2; exit 2; }
done
"$DOCKER" info >/dev/null 2>&1 || { echo "no Docker engine answers: run .ci/setup-docker.sh (as root)" >&2; exit 2; }
[ -d app/e2e/node_modules/playwright-core ] || { echo "app/e2e packages missing: run .ci/setup-docker.sh" >&2; exit 2; }

workdir="$(mktemp -d /tmp/todo-containers.XXXXXX)"
project="todo-chatbot-test-$$"
compose=(docker-compose --project-name "$project" --env-file "$workdir/compose.env" --file docker-compose.yml)
tag="test-$$"
backend_image="todo-chatbot-backend:$tag"
frontend_image="todo-chatbot-frontend:$tag"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: one named assertion.
check() {
  local description="$1"; shift
  if "$@"; then pass "$description"; else fail "$description"; fi
}

cleanup() {
  local status=$?
  if [ -f "$workdir/compose.env" ]; then
    if [ "$status" -ne 0 ] || [ "$failed" -gt 0 ]; then
      step "compose logs (last 60 lines per service)"
      "${compose[@]}" logs --no-color --tail=60 || true
    fi
    "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  "$DOCKER" image rm "$backend_image" "$frontend_image" >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT

canary="canary-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
# Certificates the host trusts beyond Debian's Mozilla set (e.g. a TLS proxy's CA, passed
# to the builds as the `ca` secret): one base64 line of each must appear in no image.
host_ca_lines=()
for cert in /usr/local/share/ca-certificates/*.crt; do
  [ -f "$cert" ] && host_ca_lines+=("$(sed -n '5p' "$cert")")
done

# build_image NAME TAG: build app/NAME from a copy of its context holding canary .env files.
build_image() {
  local name="$1" image="$2" context="$workdir/context-$1"
  mkdir -p "$context"
  tar -C "app/$name" --exclude=./node_modules --exclude=./.venv --exclude=./.next -cf - . | tar -C "$context" -xf -
  printf 'BETTER_AUTH_SECRET=%s\nDATABASE_URL=postgresql://u:%s@db/x\n' "$canary" "$canary" >"$context/.env"
  printf 'OPENROUTER_API_KEY=%s\n' "$canary" >"$context/.env.production.local"
  local secret_args=()
  [ -s /etc/ssl/certs/ca-certificates.crt ] && secret_args=(--secret "id=ca,src=/etc/ssl/certs/ca-certificates.crt")
  step "building $image from app/$name/Dockerfile"
  "$DOCKER" build --progress=plain "${secret_args[@]}" \
    --build-arg REVISION="$(git rev-parse HEAD)" -t "$image" "$context" >"$workdir/build-$name.log" 2>&1 \
    || { tail -40 "$workdir/build-$name.log" >&2; return 1; }
  tail -3 "$workdir/build-$name.log"
}

# no_secret_in_layers IMAGE KNOWN_CONTENT: the canary and the host-only CA certificates
# are in no layer of `docker save` (layers are plain tars: file contents appear as they
# are). KNOWN_CONTENT, text of a file the image must hold, proves the scan sees them.
no_secret_in_layers() {
  local image="$1" known="$2" saved="$workdir/saved.tar" line
  "$DOCKER" save -o "$saved" "$image"
  grep -qaF -- "$known" "$saved" || { echo "  the layer scan cannot see '$known': scan broken" >&2; return 1; }
  if grep -qaF -- "$canary" "$saved"; then echo "  canary secret found in $image" >&2; return 1; fi
  for line in "${host_ca_lines[@]}"; do
    if grep -qaF -- "$line" "$saved"; then echo "  a host-only CA certificate is in $image" >&2; return 1; fi
  done
  rm -f "$saved"
}
# The config and history: no canary, and no variable that looks like a secret is set.
no_secret_in_config() {
  local image="$1" found
  found="$("$DOCKER" image inspect -f '{{json .Config}}' "$image"; "$DOCKER" history --no-trunc --format '{{.CreatedBy}}' "$image")"
  if grep -qF -- "$canary" <<<"$found"; then echo "  canary secret in the config or history of $image" >&2; return 1; fi
  if "$DOCKER" image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$image" \
      | grep -iE '^[A-Z_]*(SECRET|PASSWORD|TOKEN|API_KEY|DATABASE_URL)[A-Z_]*=.+'; then
    echo "  secret-looking variable set in the config of $image" >&2; return 1
  fi
}
image_user_is_nonroot() {
  local user; user="$("$DOCKER" image inspect -f '{{.Config.User}}' "$1")"
  echo "  Config.User=$user"
  [[ "$user" =~ ^[1-9][0-9]*(:[1-9][0-9]*)?$ ]]
}
within_budget() {
  local size; size="$("$DOCKER" image inspect -f '{{.Size}}' "$1")"
  echo "  size $((size / 1000000)) MB (budget $2 MB)"
  [ "$size" -le $(($2 * 1000000)) ]
}

step "images"
build_image backend "$backend_image"
build_image frontend "$frontend_image"
# check_image NAME IMAGE BUDGET_MB KNOWN_CONTENT
check_image() {
  check "$1 image: runs as a fixed non-root user" image_user_is_nonroot "$2"
  check "$1 image: within its $3 MB budget" within_budget "$2" "$3"
  check "$1 image: no canary or host CA certificate in any layer" no_secret_in_layers "$2" "$4"
  check "$1 image: no secret in its config or history" no_secret_in_config "$2"
}
check_image backend "$backend_image" "$BACKEND_BUDGET_MB" 'name = "todo-chatbot-backend"'
check_image frontend "$frontend_image" "$FRONTEND_BUDGET_MB" '"name": "todo-chatbot-frontend"'

step "docker-compose up (project $project)"
base_url="$(compose_test_env "$workdir/compose.env" "$backend_image" "$frontend_image")"
port="${base_url##*:}"
"${compose[@]}" up -d --no-build

# wait_healthy SERVICE: the service's container reports healthy within the timeout.
wait_healthy() {
  local id status deadline=$((SECONDS + HEALTHY_TIMEOUT_S))
  id="$("${compose[@]}" ps -q "$1")"
  while [ $SECONDS -lt $deadline ]; do
    status="$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$id")"
    [ "$status" = healthy ] && return 0
    [ "$status" = unhealthy ] && break
    sleep 1
  done
  echo "  $1 is $status after $HEALTHY_TIMEOUT_S s" >&2
  return 1
}
# runs_as_nonroot SERVICE: every process of the running container has a non-zero uid.
runs_as_nonroot() {
  local processes; processes="$("$DOCKER" top "$("${compose[@]}" ps -q "$1")" -o pid,uid,comm | tail -n +2)"
  echo "$processes" | sed 's/^/  /'
  [ -n "$processes" ] && ! awk '{print $2}' <<<"$processes" | grep -qx 0
}
published_on_loopback_only() {
  local bindings; bindings="$("$DOCKER" port "$("${compose[@]}" ps -q frontend)")"
  echo "  $bindings"
  [ "$bindings" = "3000/tcp -> 127.0.0.1:$port" ]
}
for service in db backend frontend; do
  check "compose: $service becomes healthy" wait_healthy "$service"
done
for service in backend frontend; do
  check "compose: $service runs as non-root" runs_as_nonroot "$service"
done
check "compose: migrations ran to completion" \
  test "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$("${compose[@]}" ps -q migrate)")" = 0
check "compose: frontend published on 127.0.0.1 only" published_on_loopback_only

step "browser end-to-end test (app/e2e, headless Chromium)"
if (cd app/e2e && E2E_BASE_URL="$base_url" E2E_ARTIFACTS_DIR="$PWD/../../artifacts/e2e" npm test --silent); then
  pass "end-to-end test in headless Chromium"
else
  fail "end-to-end test in headless Chromium"
fi

echo
echo "containers: $passed passed, $failed failed (screenshots in artifacts/e2e/)"
[ "$failed" -eq 0 ]
