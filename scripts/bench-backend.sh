#!/usr/bin/env bash
# Benchmark of the backend API: requests/s and p50/p99 latency of `GET /health` and of
# `GET /api/tasks` (one page of 50 out of 200 seeded tasks), with wrk on loopback against
# one `python -m app` process (production settings, JSON access logs on) and a throwaway PostgreSQL.
# Fails when any request errors (non-2xx or socket error).
#
#   scripts/bench-backend.sh            # 20 s per endpoint, 32 connections
#   BENCH_DURATION=60 BENCH_CONNECTIONS=64 scripts/bench-backend.sh
#
# Prerequisites: .ci/setup-backend.sh (wrk, PostgreSQL 15, the virtualenv).
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"

DURATION="${BENCH_DURATION:-20}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
SEEDED_TASKS=200
THREADS=$(( CONNECTIONS < 2 ? 1 : 2 ))

if ! command -v wrk >/dev/null; then
  echo "wrk not found: run .ci/setup-backend.sh (or apt-get install wrk)" >&2
  exit 2
fi
if [ "${BENCH_IN_THROWAWAY_DB:-}" != 1 ]; then
  # Always a throwaway database: the benchmark seeds data and must never touch a real one.
  exec env -u DATABASE_URL BENCH_IN_THROWAWAY_DB=1 "$root/scripts/with-postgres.sh" "$0" "$@"
fi

cd "$root/app/backend"
export UV_PYTHON=/usr/bin/python3.11 UV_PYTHON_DOWNLOADS=never
python=(uv run --locked python)
workdir="$(mktemp -d /tmp/todo-bench.XXXXXX)"
server_pid=""
cleanup() {
  # The server exits by re-raising SIGTERM (status 143): expected, not a failure of the benchmark.
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

BETTER_AUTH_SECRET="$("${python[@]}" -c 'import secrets; print(secrets.token_urlsafe(48))')"
export BETTER_AUTH_SECRET OPENROUTER_API_KEY="" LOG_LEVEL=INFO
PORT="$("${python[@]}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PORT

step "migrating and seeding $SEEDED_TASKS tasks"
"${python[@]}" -m app.prestart >"$workdir/prestart.log"
"${python[@]}" - "$SEEDED_TASKS" <<'PY'
import sys
from sqlmodel import Session
from app.core.config import get_settings
from app.core.db import create_db_engine
from app.models import Task

engine = create_db_engine(get_settings())
with Session(engine) as session:
    session.add_all(Task(user_id="bench-user", title=f"task {n}", completed=n % 3 == 0) for n in range(int(sys.argv[1])))
    session.commit()
PY
TOKEN="$("${python[@]}" -c '
import os, time, jwt
now = int(time.time())
claims = {"sub": "bench-user", "iss": "todo-chatbot-frontend", "aud": "todo-chatbot-backend", "iat": now, "exp": now + 300}
print(jwt.encode(claims, os.environ["BETTER_AUTH_SECRET"], algorithm="HS256"))')"

step "starting python -m app on 127.0.0.1:$PORT"
started_at=$EPOCHREALTIME
.venv/bin/python -m app >"$workdir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.02
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { cat "$workdir/server.log" >&2; exit 1; }
startup_seconds="$(awk -v end="$EPOCHREALTIME" -v start="$started_at" 'BEGIN {printf "%.2f", end - start}')"
echo "healthy ${startup_seconds} s after start"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
failures=0
results=()
bench() {  # NAME PATH: warm up, then measure; appends one markdown row to results
  local name="$1" url="http://127.0.0.1:$PORT$2" out="$workdir/$1.txt"
  step "wrk: $name ($DURATION s, $CONNECTIONS connections)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -H "Authorization: Bearer $TOKEN" "$url" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$url" | tee "$out"
  local rps p50 p99 requests non2xx socket_errors
  rps="$(awk '/^Requests\/sec/ {print $2}' "$out")"
  p50="$(awk '$1 == "50%" {print $2}' "$out")"
  p99="$(awk '$1 == "99%" {print $2}' "$out")"
  requests="$(awk '/requests in/ {print $1}' "$out")"
  non2xx="$(awk '/Non-2xx or 3xx responses/ {print $NF}' "$out")"
  socket_errors="$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")"
  local errors=$(( ${non2xx:-0} + ${socket_errors:-0} ))
  [ "$errors" -eq 0 ] || failures=$((failures + 1))
  results+=("| \`$2\` | $requests | $rps | $p50 | $p99 | $errors |")
}
bench health /health
bench tasks "/api/tasks?limit=50"

rss_mib="$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")"

step "results (paste into docs/BENCHMARKS.md)"
echo "| endpoint | requests | requests/s | p50 | p99 | errors |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${results[@]}"
echo
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F= '$1 == "PRETTY_NAME" {gsub(/"/, "", $2); print $2}' /etc/os-release), $(uname -m)"
echo "start to healthy (python -m app, offline mode): ${startup_seconds} s; server RSS after the runs: ${rss_mib} MiB"
echo "load average before the runs: $load_before (other work on the machine skews the figures)"
echo "load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on the same machine; server: one python -m app process"
if [ "$failures" -gt 0 ]; then
  echo "FAILED: requests errored in $failures run(s)" >&2
  exit 1
fi
