#!/usr/bin/env bash
# Rotates the password the app connects to PostgreSQL with.
#
#   scripts/db-rotate-password.sh [OPTIONS]                      a Kubernetes stack
#   scripts/db-rotate-password.sh --compose --password-stdin     the Docker Compose project
#
# PostgreSQL keeps one password per role, so changing the password of the role the app is
# connected as would fail every new connection of the running pods until they are replaced.
#
# Kubernetes stack (in-cluster database): two login roles take turns, with no downtime beyond a
# rolling restart. The database's owner (POSTGRES_USER, created on the empty volume) and a second
# role, OWNER_b, a member of the owner that acts as it (ALTER ROLE ... SET role), so the tables
# the app creates always belong to the owner. In this order:
#   1. the role the app does NOT use gets the new password (created first if missing); the
#      running pods, on the other role, are untouched
#   2. pulumi config set databaseUser <that role> and --secret databasePassword <new password>
#   3. pulumi up: the app rolls onto that role; PostgreSQL itself is not restarted
#   4. the previous role's password is removed (ALTER ROLE ... PASSWORD NULL), so the old
#      password opens nothing any more
#   Each step is safe to repeat; if one fails, the message says how to go on.
#
# Compose: ALTER ROLE only; then put the same password into .env as POSTGRES_PASSWORD and run
# `docker compose up -d`, which recreates the containers that use it.
#
# Options:
#   --password-stdin   read the new password from stdin (letters, digits and - . _ ~, at least
#                      16 characters) instead of generating one
#   --yes              pass --yes to pulumi up (no confirmation prompt)
#   --stack NAME, --cwd DIR, --context NAME, --kubeconfig FILE, --compose: as scripts/db-backup.sh
#   -h, --help         this text
set -euo pipefail
# shellcheck source=scripts/lib/db-ops.sh
source "$(dirname "$0")/lib/db-ops.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//p}' "$0"; }

from_stdin=0 yes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --password-stdin) from_stdin=1; shift ;;
    --yes) yes=(--yes); shift ;;
    --stack | --cwd | --context | --kubeconfig | --compose) dbops_target_option "$@"; shift "$DBOPS_SHIFT" ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [ "$from_stdin" = 1 ]; then
  IFS= read -r password || [ -n "${password:-}" ] || dbops_die "no password on stdin"
else
  [ "$DBOPS_MODE" = kubernetes ] || dbops_die "with --compose, choose the password yourself (it goes into .env): pass it with --password-stdin"
  password="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
fi
# The program puts the password into DATABASE_URL unescaped (config.ts checks the same).
[[ "$password" =~ ^[A-Za-z0-9._~-]{16,}$ ]] || dbops_die "the new password must be at least 16 letters, digits or - . _ ~"

dbops_connect
# shellcheck disable=SC2016 # expanded by the container's shell, from its environment
owner="$(dbops_exec sh -c 'printf %s "$POSTGRES_USER"')"

# run_sql: statements travel on stdin, never in a process's arguments, and are kept out of the
# server log whatever log_statement says. Role names are plain identifiers (config.ts checks
# databaseUser), so they need no quoting.
run_sql() {
  # shellcheck disable=SC2016 # expanded by the container's shell
  { echo "SET log_statement = 'none';"; cat; } \
    | dbops_exec sh -c 'exec psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f -'
}

if [ "$DBOPS_MODE" = compose ]; then
  printf "ALTER ROLE %s PASSWORD '%s';\n" "$owner" "$password" | run_sql || dbops_die "ALTER ROLE failed; nothing changed"
  echo "the password of role $owner in $DBOPS_TARGET is changed."
  echo "Now set POSTGRES_PASSWORD to the same value in .env and run: docker compose up -d"
  exit 0
fi

current="$(dbops_output databaseUser)"
current="${current:-$owner}" # deployed before the program exported databaseUser
if [ "$current" = "$owner" ]; then next="${owner}_b"; else next="$owner"; fi
[[ "$next" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || dbops_die "cannot name a second role after $owner: set databaseUser to a shorter name first"

dbops_say "1/4 the app connects as $current; giving role $next the new password in $DBOPS_TARGET"
if [ "$next" = "$owner" ]; then
  printf "ALTER ROLE %s LOGIN PASSWORD '%s';\n" "$next" "$password" | run_sql || dbops_die "ALTER ROLE failed; nothing changed"
else
  run_sql <<SQL || dbops_die "preparing role $next failed; the app still uses $current, nothing else changed"
DO \$\$ BEGIN CREATE ROLE $next; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
GRANT $owner TO $next;
ALTER ROLE $next SET role = '$owner';
ALTER ROLE $next LOGIN PASSWORD '$password';
SQL
fi

dbops_say "2/4 pulumi config set databaseUser $next, --secret databasePassword (new value, from stdin)"
dbops_pulumi config set databaseUser "$next" >/dev/null
printf '%s' "$password" | dbops_pulumi config set --secret databasePassword >/dev/null

dbops_say "3/4 pulumi up: the app rolls onto role $next"
dbops_pulumi up "${yes[@]}" || dbops_die "pulumi up failed. Both roles can log in now and the stack's config holds the new one: fix the cause, run pulumi up${DBOPS_STACK:+ --stack $DBOPS_STACK}, then remove the old password with: ${DBOPS_KUBECTL[*]} exec $DBOPS_POD -- psql -U $owner -d todo -c 'ALTER ROLE $current PASSWORD NULL'"

dbops_say "4/4 removing the password of role $current"
printf 'ALTER ROLE %s PASSWORD NULL;\n' "$current" | run_sql || dbops_die "could not remove the old password of role $current; run: ${DBOPS_KUBECTL[*]} exec $DBOPS_POD -- psql -U $owner -d todo -c 'ALTER ROLE $current PASSWORD NULL'"
echo "the password is rotated: the app connects as $next with the new password; the old one opens nothing."
