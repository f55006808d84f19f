#!/usr/bin/env bash
# Restores a dump written by scripts/db-backup.sh into the running stack's database.
#
#   scripts/db-restore.sh [OPTIONS] FILE
#
# Replaces the database's whole content (schema `public`) with FILE's, in one transaction: on
# any error nothing changes. A database that holds rows is refused unless --force is given (a
# freshly deployed, empty app is fine). Prints the tables' row counts before and after.
#
# Options:
#   --force               replace a database that holds data
#   --stack NAME          the Pulumi stack (default: the selected one)
#   --cwd DIR             the Pulumi project directory (default: this repository)
#   --context NAME        kube context instead of the stack's kubeContext output
#   --kubeconfig FILE     kubeconfig instead of the stack's kubeconfig output
#   --compose             the Docker Compose project's database (docker-compose.yml) instead
#   -h, --help            this text
# Exit status: 0 restored, 1 refused or failed (with the reason), 2 wrong usage.
set -euo pipefail
# shellcheck source=scripts/lib/db-ops.sh
source "$(dirname "$0")/lib/db-ops.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//p}' "$0"; }

file="" force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    --stack | --cwd | --context | --kubeconfig | --compose) dbops_target_option "$@"; shift "$DBOPS_SHIFT" ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$file" ] || { echo "one FILE only" >&2; exit 2; }; file="$1"; shift ;;
  esac
done
[ -n "$file" ] || { echo "which dump? scripts/db-restore.sh FILE" >&2; usage >&2; exit 2; }

# The file first: a wrong one fails before anything is contacted.
dbops_check_dump_file "$file"
dbops_connect
dbops_restore "$file" "$force"

# The restored schema is the one of the backup; an app newer than the backup migrates it forward
# only when it starts (docs/OPERATIONS.md, "Restore").
if [ "$DBOPS_MODE" = compose ]; then
  echo "If the backup is older than the running app: docker compose run --rm migrate && docker compose restart backend frontend"
else
  echo "If the backup is older than the running app: ${DBOPS_KUBECTL[*]} rollout restart deployment -l app.kubernetes.io/name=todo-chatbot"
fi
