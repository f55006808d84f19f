#!/usr/bin/env bash
# Benchmarks of the two app images (issue 6 budgets; results in docs/BENCHMARKS.md,
# "Container images"):
#   - cold build of both images: empty BuildKit cache, including the cache mounts
#     (every package downloaded again), base images already present;
#   - rebuild of each after a one-line source change (a comment appended to one file);
#   - image sizes (`docker image inspect .Size`, 1 MB = 10^6 bytes);
#   - container start to healthy: from `docker run -d` until Docker reports the image's
#     HEALTHCHECK healthy, RUNS times each, against a PostgreSQL container of its own
#     (the frontend migrates Better Auth's tables at start; the backend's schema is
#     migrated once beforehand, as the Compose stack and the chart do).
# WARNING: the cold build empties this Docker engine's whole build cache
# (`docker builder prune -af`). Containers, images and networks it creates are removed
# on exit. Needs .ci/setup-docker.sh.
# Usage: scripts/bench-images.sh [RUNS]   (default 5)
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"
cd "$(dirname "$0")/.."

DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=1
RUNS="${1:-5}"
"$DOCKER" info >/dev/null 2>&1 || { echo "no Docker engine answers: run .ci/setup-docker.sh (as root)" >&2; exit 2; }

id="bench-$$"
workdir="$(mktemp -d /tmp/todo-bench-images.XXXXXX)"
network="todo-bench-$$"
cleanup() {
  "$DOCKER" rm -f "$id-db" "$id-backend" "$id-frontend" >/dev/null 2>&1 || true
  "$DOCKER" network rm "$network" >/dev/null 2>&1 || true
  "$DOCKER" image rm "todo-chatbot-backend:$id" "todo-chatbot-frontend:$id" >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT

secret_args=()
[ -s /etc/ssl/certs/ca-certificates.crt ] && secret_args=(--secret "id=ca,src=/etc/ssl/certs/ca-certificates.crt")
# build NAME: build app/NAME from its copy in $workdir; prints the seconds it took.
build() {
  local start=$SECONDS
  "$DOCKER" build -q "${secret_args[@]}" -t "todo-chatbot-$1:$id" "$workdir/$1" >"$workdir/build-$1.log" 2>&1 \
    || { cat "$workdir/build-$1.log" >&2; return 1; }
  echo $((SECONDS - start))
}
for name in backend frontend; do
  mkdir -p "$workdir/$name"
  tar -C "app/$name" --exclude=./node_modules --exclude=./.venv --exclude=./.next -cf - . | tar -C "$workdir/$name" -xf -
done

step "cold build of both images (build cache emptied)"
"$DOCKER" builder prune -af >/dev/null
start=$SECONDS
backend_cold=$(build backend)
frontend_cold=$(build frontend)
cold_total=$((SECONDS - start))
echo "backend ${backend_cold} s, frontend ${frontend_cold} s, both ${cold_total} s"

step "rebuild after a one-line source change"
echo "# bench: one-line change" >>"$workdir/backend/app/main.py"
backend_rebuild=$(build backend)
echo "// bench: one-line change" >>"$workdir/frontend/src/app/page.tsx"
frontend_rebuild=$(build frontend)
echo "backend ${backend_rebuild} s, frontend ${frontend_rebuild} s"

backend_mb=$(( $("$DOCKER" image inspect -f '{{.Size}}' "todo-chatbot-backend:$id") / 1000000 ))
frontend_mb=$(( $("$DOCKER" image inspect -f '{{.Size}}' "todo-chatbot-frontend:$id") / 1000000 ))

step "container start to healthy ($RUNS runs each)"
password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
auth_secret="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
database_url="postgresql://todo:$password@$id-db:5432/todo"
"$DOCKER" network create --internal "$network" >/dev/null
"$DOCKER" run -d --name "$id-db" --network "$network" \
  -e POSTGRES_USER=todo -e POSTGRES_PASSWORD="$password" -e POSTGRES_DB=todo postgres:15-bookworm >/dev/null
until "$DOCKER" exec "$id-db" pg_isready -q -h 127.0.0.1 -U todo -d todo; do sleep 0.5; done
"$DOCKER" run --rm --network "$network" -e DATABASE_URL="$database_url" -e BETTER_AUTH_SECRET="$auth_secret" \
  "todo-chatbot-backend:$id" -m app.prestart >/dev/null 2>&1

app_env=(-e DATABASE_URL="$database_url" -e BETTER_AUTH_SECRET="$auth_secret"
  -e BACKEND_URL="http://$id-backend:8000" -e BETTER_AUTH_URL=http://localhost:3000)
# run_app NAME: start the app container as docker-compose.yml does: read-only, with its
# writable paths on tmpfs.
run_app() {
  local writable=(--tmpfs /tmp)
  [ "$1" = frontend ] && writable+=(--tmpfs "/app/.next/cache:uid=65532,gid=65532")
  "$DOCKER" run -d --name "$id-$1" --network "$network" --read-only "${writable[@]}" "${app_env[@]}" \
    "todo-chatbot-$1:$id" >/dev/null
}
# start_to_healthy NAME: milliseconds from `docker run -d` to healthy.
start_to_healthy() {
  local start status
  "$DOCKER" rm -f "$id-$1" >/dev/null 2>&1 || true
  start=$(date +%s%N)
  run_app "$1"
  for _ in $(seq 600); do
    status="$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$id-$1")"
    if [ "$status" = healthy ]; then echo $(( ($(date +%s%N) - start) / 1000000 )); return 0; fi
    sleep 0.05
  done
  "$DOCKER" logs "$id-$1" >&2
  return 1
}
# summary NAME: "median X ms, max Y ms" of RUNS measurements.
summary() {
  local samples=()
  for _ in $(seq "$RUNS"); do samples+=("$(start_to_healthy "$1")"); done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{v[NR]=$1} END {printf "median %d ms, max %d ms (runs: %d)\n", v[int((NR+1)/2)], v[NR], NR}'
}
backend_health="$(summary backend)"
echo "backend: $backend_health"
"$DOCKER" rm -f "$id-backend" >/dev/null
run_app backend
frontend_health="$(summary frontend)"
echo "frontend: $frontend_health"

step "results ($(date -u +%Y-%m-%d), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
cat <<EOF
| measure | backend | frontend | budget |
| --- | --- | --- | --- |
| image size | ${backend_mb} MB | ${frontend_mb} MB | 120 MB / 150 MB |
| cold build | ${backend_cold} s | ${frontend_cold} s | both <= 300 s (measured: ${cold_total} s) |
| rebuild after a one-line change | ${backend_rebuild} s | ${frontend_rebuild} s | <= 60 s each |
| start to healthy | ${backend_health} | ${frontend_health} | <= 3 s each |
EOF
