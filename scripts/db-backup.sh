#!/usr/bin/env bash
# Writes a consistent dump of the running stack's database to a local file.
#
#   scripts/db-backup.sh [OPTIONS] [FILE]
#
# FILE defaults to ./todo-chatbot-<UTC time>.dump; an existing file is never overwritten. The
# dump is PostgreSQL's custom format (pg_dump --format=custom: compressed, one snapshot, so
# consistent while the app keeps writing), restored with scripts/db-restore.sh FILE.
#
# Options:
#   --stack NAME          the Pulumi stack (default: the selected one); its outputs name the
#                         namespace, kube context and kubeconfig, and the pod is found by label
#   --cwd DIR             the Pulumi project directory (default: this repository)
#   --context NAME        kube context instead of the stack's kubeContext output
#   --kubeconfig FILE     kubeconfig instead of the stack's kubeconfig output
#   --compose             the Docker Compose project's database (docker-compose.yml) instead
#   --list-volume         list the scheduled backups on the stack's backup volume (setting `backups`)
#   --from-volume NAME    copy a scheduled backup (NAME, or `latest`) from the backup volume to FILE
#                         instead of dumping the live database
#   -h, --help            this text
# Exit status: 0 written, 1 failed (with the reason), 2 wrong usage.
set -euo pipefail
# shellcheck source=scripts/lib/db-ops.sh
source "$(dirname "$0")/lib/db-ops.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//p}' "$0"; }

file="" list_volume=0 from_volume=""
while [ $# -gt 0 ]; do
  case "$1" in
    --stack | --cwd | --context | --kubeconfig | --compose) dbops_target_option "$@"; shift "$DBOPS_SHIFT" ;;
    --list-volume) list_volume=1; shift ;;
    --from-volume) from_volume="${2:?--from-volume needs a backup name or latest}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$file" ] || { echo "one FILE only" >&2; exit 2; }; file="$1"; shift ;;
  esac
done

file="${file:-todo-chatbot-$(date -u +%Y%m%dT%H%M%SZ).dump}"
if [ "$list_volume" = 0 ]; then
  [ ! -e "$file" ] || dbops_die "$file already exists: name another file, or remove it first"
  [ -d "$(dirname "$file")" ] || dbops_die "the directory of $file does not exist"
fi

dbops_connect
if [ "$list_volume" = 1 ] || [ -n "$from_volume" ]; then
  dbops_reader_start
  if [ "$list_volume" = 1 ]; then
    list="$(dbops_volume_list)"
    if [ -z "$list" ]; then echo "no scheduled backup on the volume yet"; exit 0; fi
    while read -r name size; do echo "$name  $(dbops_human "$size")"; done <<<"$list"
  else
    dbops_volume_fetch "$from_volume" "$file"
  fi
else
  dbops_backup "$file"
fi
