#!/usr/bin/env bash
# Rotates the password of the app's PostgreSQL user.
#
#   scripts/db-rotate-password.sh [OPTIONS]                      a Kubernetes stack
#   scripts/db-rotate-password.sh --compose --password-stdin     the Docker Compose project
#
# PostgreSQL stores the password in its data directory when it first initialises it; the
# POSTGRES_PASSWORD(_FILE) it was started with is never read again. A new password therefore
# takes two changes: ALTER ROLE in the database, and the configuration the app connects with.
#
# Kubernetes stack (in-cluster database), in this order:
#   1. the new password (generated, or read from stdin) goes into the stack's config:
#      pulumi config set --secret databasePassword
#   2. ALTER ROLE ... PASSWORD in the running database (connections already open stay open)
#   3. pulumi up: the app's Secret changes, so the backend and frontend roll onto the new
#      password; PostgreSQL's pod is recreated once as its own Secret changes. Requests that
#      need a new connection fail until the rollout ends (docs/OPERATIONS.md has the figure)
#   If step 2 fails, step 1 is undone. Between 2 and 3 new connections of the old pods fail;
#   their pools keep the connections they have, so run 3 straight away (this script does).
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
role="$(dbops_exec sh -c 'printf %s "$POSTGRES_USER"')"

# alter_role: the statement travels on stdin, never in a process's arguments, and is kept out
# of the server log whatever log_statement says.
alter_role() {
  # shellcheck disable=SC2016 # expanded by the container's shell
  printf "SET log_statement = 'none';\nALTER ROLE \"%s\" PASSWORD '%s';\n" "$role" "$password" \
    | dbops_exec sh -c 'exec psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f -'
}

if [ "$DBOPS_MODE" = compose ]; then
  alter_role || dbops_die "ALTER ROLE failed; nothing changed"
  echo "the password of role $role in $DBOPS_TARGET is changed."
  echo "Now set POSTGRES_PASSWORD to the same value in .env and run: docker compose up -d"
  exit 0
fi

had_old=0 old=""
if old="$(dbops_pulumi config get databasePassword 2>/dev/null)"; then had_old=1; fi
dbops_say "1/3 pulumi config set --secret databasePassword (new value, from stdin)"
printf '%s' "$password" | dbops_pulumi config set --secret databasePassword >/dev/null
dbops_say "2/3 ALTER ROLE $role in $DBOPS_TARGET"
if ! alter_role; then
  if [ "$had_old" = 1 ]; then printf '%s' "$old" | dbops_pulumi config set --secret databasePassword >/dev/null
  else dbops_pulumi config rm databasePassword >/dev/null
  fi
  dbops_die "ALTER ROLE failed; the stack's config is as it was, nothing changed"
fi
dbops_say "3/3 pulumi up: the app rolls onto the new password"
dbops_pulumi up "${yes[@]}" || dbops_die "pulumi up failed. The database and the stack's config already hold the new password: fix the cause and run pulumi up${DBOPS_STACK:+ --stack $DBOPS_STACK} again"
echo "the password of role $role is rotated; the app uses the new one."
