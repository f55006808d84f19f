#!/usr/bin/env bash
# Frontend benchmark: clean `next build` time, standalone output size, start-to-healthy time of
# the standalone server (empty database: migrates Better Auth's tables; then already migrated),
# its memory, and the latency of /api/health and of a proxied GET /api/tasks (session lookup in
# PostgreSQL + JWT + a minimal fake backend), all on 127.0.0.1. Figures go to docs/BENCHMARKS.md.
# Usage: scripts/bench-frontend.sh [REQUESTS]   (default 500 sequential requests per endpoint)
set -euo pipefail
source "$(dirname "$0")/../.ci/lib.sh"
repo="$(cd "$(dirname "$0")/.." && pwd)"
requests="${1:-500}"
frontend="$repo/app/frontend"
[ -x "$frontend/node_modules/.bin/next" ] || { echo "app/frontend/node_modules is missing: run .ci/setup-frontend.sh" >&2; exit 2; }
[ -n "${TODO_BENCH_IN_DB:-}" ] || exec env TODO_BENCH_IN_DB=1 "$repo/scripts/with-postgres.sh" "$0" "$@"

work="$(mktemp -d /tmp/todo-bench-frontend.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

step "clean production build"
cd "$frontend"
rm -rf .next
build_start=$(now)
npx --no-install next build >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
build_seconds=$(printf '%.0f' "$(echo "$(now) - $build_start" | bc)")
cp -a .next/standalone "$work/app" && cp -a .next/static "$work/app/.next/static"
standalone_size=$(du -sh .next/standalone | cut -f1)
echo "build: ${build_seconds} s; .next/standalone: $standalone_size"
du -sh .next/standalone/node_modules/* .next/standalone/.next | sort -h | tail -4

step "fake backend on 127.0.0.1"
backend_port=$(free_port)
node -e '
  const body = JSON.stringify({ items: [{ id: 1, title: "Buy milk", description: null, completed: false }], total: 1, limit: 50, offset: 0 });
  require("node:http").createServer((req, res) => res.writeHead(200, { "content-type": "application/json" }).end(body))
    .listen(Number(process.argv[1]), "127.0.0.1");
' "$backend_port" &
pids+=($!)

export BETTER_AUTH_SECRET="bench-secret-bench-secret-bench-secret-00"
export BACKEND_URL="http://127.0.0.1:$backend_port" HOSTNAME=127.0.0.1 NODE_ENV=production
# start_server: starts server.js on a free port; sets server_pid and startup_seconds.
start_server() {
  local port
  port=$(free_port)
  export PORT=$port BETTER_AUTH_URL="http://127.0.0.1:$port"
  local started
  started=$(now)
  node "$work/app/server.js" >>"$work/server.log" 2>&1 &
  pids+=($!)
  server_pid=$!
  until curl -sf "http://127.0.0.1:$port/api/health" >/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.05
  done
  startup_seconds=$(printf '%.2f' "$(echo "$(now) - $started" | bc)")
}

step "start to healthy"
start_server
cold_start=$startup_seconds
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
start_server
echo "empty database (migrates): ${cold_start} s; migrated database: ${startup_seconds} s"
rss_idle=$(( $(ps -o rss= -p "$server_pid") / 1024 ))

step "latency ($requests sequential requests per endpoint)"
curl -sf -c "$work/cookies" -H 'content-type: application/json' -H "origin: $BETTER_AUTH_URL" \
  -d '{"name":"Bench","email":"bench@example.com","password":"bench-password"}' \
  "$BETTER_AUTH_URL/api/auth/sign-up/email" >/dev/null
cookie=$(awk '$6 ~ /session_token/ { print $6 "=" $7 }' "$work/cookies")
node -e '
  const [base, cookie, count] = [process.argv[1], process.argv[2], Number(process.argv[3])];
  async function measure(path, headers) {
    for (let i = 0; i < 20; i++) await (await fetch(base + path, { headers })).arrayBuffer();
    const times = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      const response = await fetch(base + path, { headers });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
    console.log(`${path}: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms`);
  }
  (async () => {
    await measure("/api/health", {});
    await measure("/api/tasks", { cookie });
  })().catch((error) => { console.error(error.message); process.exit(1); });
' "$BETTER_AUTH_URL" "$cookie" "$requests"
rss_loaded=$(( $(ps -o rss= -p "$server_pid") / 1024 ))
echo "server RSS: ${rss_idle} MiB after start, ${rss_loaded} MiB after the requests"
