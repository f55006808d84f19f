#!/usr/bin/env bash
# with-postgres.sh COMMAND [ARG...]
#
# Runs COMMAND with a PostgreSQL server it can use, then cleans up.
# - If DATABASE_URL is already set, that server is used as it is.
# - Otherwise a throwaway PostgreSQL 15 cluster is created in a temporary
#   directory, started on 127.0.0.1 at a free port, exported as DATABASE_URL
#   (postgresql://todo:todo@127.0.0.1:PORT/todo), and removed when COMMAND ends.
# The PostgreSQL binaries come from Debian's postgresql-15 package
# (.ci/setup-base.sh installs it).
set -euo pipefail

if [ $# -eq 0 ]; then echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; fi
if [ -n "${DATABASE_URL:-}" ]; then exec "$@"; fi

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$PG_BIN/initdb" ]; then
  echo "PostgreSQL 15 not found in $PG_BIN: install it with 'apt-get install postgresql-15' or set DATABASE_URL" >&2
  exit 2
fi

# PostgreSQL refuses to run as root: run the throwaway server as an unprivileged user.
run_as=()
if [ "$(id -u)" = 0 ]; then
  pg_user="$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)"
  run_as=(runuser -u "$pg_user" --)
fi

workdir="$(mktemp -d /tmp/todo-pg.XXXXXX)"
chmod 755 "$workdir"
[ ${#run_as[@]} -gt 0 ] && chown "$pg_user" "$workdir"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

cleanup() {
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$workdir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT

echo todo >"$workdir/pwfile"
"${run_as[@]}" "$PG_BIN/initdb" -D "$workdir/data" -U todo --pwfile="$workdir/pwfile" -A scram-sha-256 >"$workdir/initdb.log" 2>&1 \
  || { cat "$workdir/initdb.log" >&2; exit 1; }
"${run_as[@]}" "$PG_BIN/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $workdir -c fsync=off -c max_connections=200" start >/dev/null \
  || { cat "$workdir/server.log" >&2; exit 1; }
PGPASSWORD=todo "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U todo -d postgres -qc "CREATE DATABASE todo" >/dev/null

export DATABASE_URL="postgresql://todo:todo@127.0.0.1:$port/todo"
# Tests that restart the database to prove recovery use these.
export TODO_PG_DATA="$workdir/data" TODO_PG_CTL="${run_as[*]} $PG_BIN/pg_ctl"
echo "with-postgres: throwaway PostgreSQL at 127.0.0.1:$port (data in $workdir)" >&2
"$@"
