# shellcheck shell=bash
# The one implementation behind scripts/db-backup.sh and scripts/db-restore.sh. Source it.
#
# Every PostgreSQL client runs INSIDE the database's own container, through `kubectl exec`
# (the stack's in-cluster PostgreSQL) or `docker compose exec` (the Compose project's `db`):
# the client is then always the server's own version, nothing has to be installed locally, and
# no port is opened. Dumps stream over that exec's stdin/stdout. The container's own
# POSTGRES_USER and POSTGRES_DB name the database; it trusts local socket connections, so no
# password travels.
#
# Callers set DBOPS_MODE (kubernetes|compose), DBOPS_STACK, DBOPS_CWD, DBOPS_KUBECONFIG and
# DBOPS_CONTEXT (optional overrides), call dbops_connect, then the dbops_* operations.

DBOPS_MODE="${DBOPS_MODE:-kubernetes}"
DBOPS_STACK="${DBOPS_STACK:-}"
DBOPS_CWD="${DBOPS_CWD:-}"
DBOPS_KUBECONFIG="${DBOPS_KUBECONFIG:-}"
DBOPS_CONTEXT="${DBOPS_CONTEXT:-}"
DBOPS_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Pod labels of the in-cluster PostgreSQL (docs/ARCHITECTURE.md, "Kubernetes labels").
DBOPS_DB_SELECTOR="app.kubernetes.io/name=postgresql,app.kubernetes.io/component=database"
DBOPS_DB_CONTAINER=postgresql
# What a custom-format archive starts with (pg_dump --format=custom).
DBOPS_DUMP_MAGIC=PGDMP

DBOPS_KUBECTL_BASE=() # kubectl with the stack's kubeconfig and context
DBOPS_KUBECTL=()   # the same, in the app's namespace
DBOPS_COMPOSE=()   # docker compose (v2 plugin) or docker-compose (v1)
DBOPS_POD=""
DBOPS_TARGET=""    # for messages: where the database is
DBOPS_OUTPUTS=""   # the stack's outputs as JSON

dbops_die() { echo "error: $*" >&2; exit 1; }

# dbops_target_option "$@": reads one of the options every script takes to find the database
# (--stack NAME, --cwd DIR, --context NAME, --kubeconfig FILE, --compose) from the front of the
# arguments; DBOPS_SHIFT says how many words it used (0: not one of them).
# shellcheck disable=SC2034 # DBOPS_SHIFT is read by the scripts that source this file
dbops_target_option() {
  DBOPS_SHIFT=2
  case "$1" in
    --stack) DBOPS_STACK="${2:?--stack needs a name}" ;;
    --cwd) DBOPS_CWD="${2:?--cwd needs a directory}" ;;
    --context) DBOPS_CONTEXT="${2:?--context needs a name}" ;;
    --kubeconfig) DBOPS_KUBECONFIG="${2:?--kubeconfig needs a file}" ;;
    --compose) DBOPS_MODE=compose; DBOPS_SHIFT=1 ;;
    *) DBOPS_SHIFT=0 ;;
  esac
}
dbops_say() { echo "$*" >&2; }

# dbops_human BYTES: 1.2 MB style, for progress lines.
dbops_human() {
  awk -v b="$1" 'BEGIN { split("B KB MB GB TB", u); i = 1; while (b >= 1000 && i < 5) { b /= 1000; i++ } printf(i == 1 ? "%d %s" : "%.1f %s", b, u[i]) }'
}

# dbops_output NAME: one value of the stack's outputs ("" when absent). Node is a prerequisite
# of the Pulumi program anyway, and jq is not.
dbops_output() {
  node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8")); const v = o[process.argv[1]]; process.stdout.write(v === undefined || v === null ? "" : String(v));' "$1" <<<"$DBOPS_OUTPUTS"
}

dbops_pulumi() {
  local dir="${DBOPS_CWD:-$DBOPS_REPO}"
  (cd "$dir" && pulumi "$@" ${DBOPS_STACK:+--stack "$DBOPS_STACK"})
}

# The Pulumi backend and passphrase scripts/deploy-local.sh sets up when the user is logged in
# nowhere, so that the stack it deployed is found the same way.
dbops_pulumi_env() {
  local state="${XDG_CONFIG_HOME:-$HOME/.config}/todo-chatbot"
  export PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"
  if [ -z "${PULUMI_BACKEND_URL:-}" ] && [ -d "$state/pulumi-state" ] && ! pulumi whoami >/dev/null 2>&1; then
    export PULUMI_BACKEND_URL="file://$state/pulumi-state"
  fi
  if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] && [ -s "$state/pulumi-passphrase" ]; then
    export PULUMI_CONFIG_PASSPHRASE_FILE="$state/pulumi-passphrase"
  fi
}

# The stack's in-cluster PostgreSQL: its namespace, context and kubeconfig from the stack's
# outputs, its pod by label. Each way of not being up gets its own message.
dbops_connect_kubernetes() {
  command -v pulumi >/dev/null || dbops_die "pulumi is not installed (https://www.pulumi.com/docs/iac/download-install/)"
  command -v kubectl >/dev/null || dbops_die "kubectl is not installed (minikube kubectl -- ... works too: https://kubernetes.io/docs/tasks/tools/)"
  command -v node >/dev/null || dbops_die "node is not installed (the Pulumi program needs Node.js 20+ anyway)"
  dbops_pulumi_env
  local stack_name="${DBOPS_STACK:-the selected stack}" err errfile
  errfile="$(mktemp)"
  if ! DBOPS_OUTPUTS="$(dbops_pulumi stack output --json 2>"$errfile")"; then
    err="$(head -c 600 "$errfile")"; rm -f "$errfile"
    dbops_die "cannot read the outputs of $stack_name: ${err:-pulumi failed}
  Select the stack (pulumi stack select local) or pass --stack NAME; run from the project or pass --cwd DIR."
  fi
  rm -f "$errfile"
  local namespace mode context kubeconfig
  namespace="$(dbops_output namespace)"
  [ -n "$namespace" ] || dbops_die "$stack_name has no outputs: it is not deployed. Deploy it first: pulumi up${DBOPS_STACK:+ --stack $DBOPS_STACK} (or scripts/deploy-local.sh)"
  mode="$(dbops_output databaseMode)"
  [ "$mode" = "external" ] && dbops_die "$stack_name uses an external database (databaseMode: external): back it up with its provider's tools, or run pg_dump against its databaseUrl"
  context="${DBOPS_CONTEXT:-$(dbops_output kubeContext)}"
  [ -n "$context" ] || dbops_die "the outputs of $stack_name name no kubeContext (deployed before that output existed): run pulumi up once, or pass --context NAME"
  kubeconfig="${DBOPS_KUBECONFIG:-$(dbops_output kubeconfig)}"
  DBOPS_KUBECTL_BASE=(kubectl --context "$context")
  # The stack's kubeconfig when this machine has it; otherwise kubectl's own default.
  if [ -n "$kubeconfig" ] && [ -f "$kubeconfig" ]; then DBOPS_KUBECTL_BASE+=(--kubeconfig "$kubeconfig"); fi
  DBOPS_KUBECTL=("${DBOPS_KUBECTL_BASE[@]}" --namespace "$namespace")

  local pods
  errfile="$(mktemp)"
  if ! pods="$("${DBOPS_KUBECTL[@]}" get pods -l "$DBOPS_DB_SELECTOR" --request-timeout=20s \
      -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>"$errfile")"; then
    err="$(head -c 600 "$errfile")"; rm -f "$errfile"
    dbops_die "cannot reach the cluster of context $context: ${err:-kubectl failed}
  Is the cluster running? (minikube status; minikube start)"
  fi
  rm -f "$errfile"
  [ -n "$pods" ] || dbops_die "no PostgreSQL pod in namespace $namespace (context $context): the stack is not up. Run pulumi up${DBOPS_STACK:+ --stack $DBOPS_STACK}, then kubectl --context $context -n $namespace get pods"
  local name phase ready
  read -r name phase ready <<<"$(head -1 <<<"$pods")"
  [ "$ready" = "True" ] || dbops_die "PostgreSQL's pod $name is not Ready (phase $phase): wait for it, or see kubectl --context $context -n $namespace describe pod $name"
  DBOPS_POD="$name"
  DBOPS_TARGET="pod $namespace/$name (context $context)"
}

# The Compose project's `db` service: the project of the repository's docker-compose.yml,
# or whatever COMPOSE_FILE / COMPOSE_PROJECT_NAME say, as Compose itself reads them.
dbops_connect_compose() {
  if docker compose version >/dev/null 2>&1; then DBOPS_COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null; then DBOPS_COMPOSE=(docker-compose)
  else dbops_die "neither 'docker compose' nor docker-compose is installed"
  fi
  local id running
  id="$(dbops_compose ps -q db 2>/dev/null | head -1)" || true
  [ -n "$id" ] || dbops_die "the Compose project has no database container: start it (docker compose up -d) in $DBOPS_REPO${COMPOSE_PROJECT_NAME:+, project $COMPOSE_PROJECT_NAME}"
  running="$(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null)" || true
  [ "$running" = "true" ] || dbops_die "the Compose project's database container is not running: docker compose up -d db"
  dbops_exec pg_isready -q || dbops_die "the Compose project's database does not accept connections yet (docker compose ps shows its health)"
  DBOPS_TARGET="Compose service db (container ${id:0:12})"
}

# dbops_compose ARGS...: Compose on the repository's docker-compose.yml and .env, from anywhere.
dbops_compose() {
  if [ -n "${COMPOSE_FILE:-}" ]; then "${DBOPS_COMPOSE[@]}" "$@"; else (cd "$DBOPS_REPO" && "${DBOPS_COMPOSE[@]}" "$@"); fi
}

dbops_connect() {
  case "$DBOPS_MODE" in
    kubernetes) dbops_connect_kubernetes ;;
    compose) dbops_connect_compose ;;
    *) dbops_die "unknown mode $DBOPS_MODE" ;;
  esac
}

# dbops_exec COMMAND...: run COMMAND in the database container, stdin and stdout passed through
# unchanged (no TTY, so binary dumps survive).
dbops_exec() {
  if [ "$DBOPS_MODE" = compose ]; then
    dbops_compose exec -T db "$@"
  else
    "${DBOPS_KUBECTL[@]}" exec -i "$DBOPS_POD" -c "$DBOPS_DB_CONTAINER" -- "$@"
  fi
}

# dbops_sql SQL: run SQL as the container's POSTGRES_USER on its POSTGRES_DB; unaligned output.
dbops_sql() {
  # shellcheck disable=SC2016 # expanded by the container's shell, from the container's environment
  dbops_exec sh -c 'exec psql -X -q -At -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"' psql "$1"
}

# dbops_row_counts: "TABLE ROWS" per table of the database's own schemas.
dbops_row_counts() {
  dbops_sql "SELECT format('%s %s', c.relname,
      (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    ORDER BY 1"
}

# dbops_summary COUNTS: "account 1, task 3, ..." on one line.
dbops_summary() {
  if [ -z "$1" ]; then echo "no tables"; else awk '{ printf("%s%s %s", NR > 1 ? ", " : "", $1, $2) }' <<<"$1"; fi
}

# dbops_check_dump_file FILE: exists, readable and starts like a custom-format archive. Runs
# before anything is contacted, so a wrong file fails fast.
dbops_check_dump_file() {
  local file="$1" magic
  [ -e "$file" ] || dbops_die "$file does not exist"
  if [ ! -f "$file" ] || [ ! -r "$file" ]; then dbops_die "$file is not a readable file"; fi
  [ -s "$file" ] || dbops_die "$file is empty: it is not a dump"
  magic="$(head -c ${#DBOPS_DUMP_MAGIC} "$file" | tr -d '\0')"
  [ "$magic" = "$DBOPS_DUMP_MAGIC" ] || dbops_die "$file is not a PostgreSQL custom-format dump (scripts/db-backup.sh writes those; a plain SQL file is restored with psql)"
}

# dbops_dump_toc FILE: pg_restore --list of FILE (its table of contents); fails clearly when
# pg_restore cannot read it.
dbops_dump_toc() {
  local toc
  if ! toc="$(dbops_exec pg_restore --list <"$1" 2>&1)"; then
    dbops_die "$1 is not a readable dump: pg_restore --list says: $(grep -m1 -i error <<<"$toc" || head -1 <<<"$toc")"
  fi
  printf '%s\n' "$toc"
}

# dbops_toc_field TOC FIELD: a header line of the table of contents ("dbname", "Archive created at" ...).
dbops_toc_field() {
  sed -n "s/^;[[:space:]]*$2:\{0,1\}[[:space:]]*//p" <<<"$1" | head -1
}

# dbops_backup FILE: a consistent dump (pg_dump takes one snapshot for the whole run) of the live
# database into FILE, with progress on stderr; written to FILE.partial and renamed once complete
# and readable, so FILE is never half a dump.
dbops_backup() {
  local file="$1" partial="$1.partial" ticker status=0
  dbops_say "backing up database from $DBOPS_TARGET to $file"
  : >"$partial" || dbops_die "cannot write $partial"
  # A size line every 5 s while big tables stream; pg_dump's own --verbose names each table.
  (
    last=""
    while sleep 5; do
      size="$(stat -c %s "$partial" 2>/dev/null || echo 0)"
      [ "$size" != "$last" ] && echo "  ... $(dbops_human "$size") written" >&2
      last="$size"
    done
  ) &
  ticker=$!
  # stderr (pg_dump's progress) goes through the filter, stdout (the dump) to the file.
  # shellcheck disable=SC2016 # expanded by the container's shell
  { dbops_exec sh -c 'exec pg_dump --format=custom --verbose -U "$POSTGRES_USER" -d "$POSTGRES_DB"' 2>&1 >"$partial"; } \
    | sed -un -e 's/^pg_dump: dumping contents of table "\{0,1\}\([^"]*\)"\{0,1\}$/  dumping table \1/p' -e '/[Ee][Rr][Rr][Oo][Rr]\|FATAL/p' >&2 \
    || status=$?
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then rm -f "$partial"; dbops_die "pg_dump failed in $DBOPS_TARGET (see above); nothing was written"; fi
  local toc tables
  toc="$(dbops_dump_toc "$partial")" || { rm -f "$partial"; exit 1; }
  mv "$partial" "$file"
  tables="$(grep -c ' TABLE DATA ' <<<"$toc" || true)"
  echo "backup written: $file ($(dbops_human "$(stat -c %s "$file")"), $tables tables of database $(dbops_toc_field "$toc" dbname), PostgreSQL $(dbops_toc_field "$toc" "Dumped from database version" | cut -d' ' -f1), taken $(dbops_toc_field "$toc" "Archive created at"))"
}

# dbops_restore FILE FORCE: replace the database's schema `public` with FILE's content, in ONE
# transaction (on any error nothing changes). Refuses a database holding rows unless FORCE=1.
dbops_restore() {
  local file="$1" force="$2" toc before nonempty
  toc="$(dbops_dump_toc "$file")"
  before="$(dbops_row_counts)" || dbops_die "cannot read the database in $DBOPS_TARGET"
  # Tables with rows; alembic_version only says which schema a freshly migrated, empty app has.
  nonempty="$(awk '$1 != "alembic_version" && $2 > 0' <<<"$before")"
  if [ -n "$nonempty" ] && [ "$force" != 1 ]; then
    dbops_die "the database in $DBOPS_TARGET is not empty ($(dbops_summary "$nonempty")).
  Restoring replaces everything in it. Back it up first (scripts/db-backup.sh), then pass --force to replace it."
  fi
  dbops_say "restoring $file (database $(dbops_toc_field "$toc" dbname), taken $(dbops_toc_field "$toc" "Archive created at")) into $DBOPS_TARGET"
  # pg_restore turns the archive into SQL; psql runs it between BEGIN and COMMIT, after dropping
  # and recreating `public` as PostgreSQL 15 creates it, so nothing of the old content survives.
  # Owners and grants are left out: the restoring user (the app's) owns everything, whichever
  # user the dump came from. COMMIT is sent only when pg_restore read the whole archive.
  local script out
  # shellcheck disable=SC2016 # expanded by the container's shell
  script='{
    printf "%s\n" "SET client_min_messages = warning;" "BEGIN;" "DROP SCHEMA IF EXISTS public CASCADE;" \
      "CREATE SCHEMA public AUTHORIZATION pg_database_owner;" "GRANT USAGE ON SCHEMA public TO PUBLIC;" \
      "COMMENT ON SCHEMA public IS '"'"'standard public schema'"'"';"
    # On failure nothing more is sent: psql reaches the end of its input inside the
    # transaction, and PostgreSQL rolls it back when psql disconnects.
    if pg_restore --no-owner --no-privileges --exit-on-error -f -; then
      printf "%s\n" "COMMIT;" "\\echo restore-committed"
    fi
  } | psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'
  out="$(dbops_exec sh -c "$script" <"$file" 2>&1)" || true
  if ! grep -qx restore-committed <<<"$out"; then
    dbops_die "the restore failed and was rolled back; the database is as it was:
$(grep -v '^restore-committed$' <<<"$out" | head -20)"
  fi
  local after
  after="$(dbops_row_counts)"
  echo "restored $file into $DBOPS_TARGET"
  echo "  before: $(dbops_summary "$before")"
  echo "  after:  $(dbops_summary "$after")"
}

# --- The scheduled backups' volume (stack setting `backups`; Kubernetes only) --------------------
# No long-running pod mounts the backup volume, so a short-lived "reader" pod (the backup image,
# read-only mount, Pod Security `restricted`, no network) serves `find` and `cat` to kubectl.
DBOPS_READER=""
DBOPS_BACKUP_NAMESPACE=""

dbops_reader_start() {
  [ "$DBOPS_MODE" = kubernetes ] || dbops_die "the backup volume exists only in a Kubernetes stack"
  DBOPS_BACKUP_NAMESPACE="$(dbops_output backupNamespace)"
  local cronjob volume image
  cronjob="$(dbops_output backupCronJob)"
  volume="$(dbops_output backupVolume)"
  if [ -z "$DBOPS_BACKUP_NAMESPACE" ] || [ -z "$cronjob" ] || [ -z "$volume" ]; then
    dbops_die "scheduled backups are off in ${DBOPS_STACK:-this stack}: pulumi config set backups true, then pulumi up (docs/OPERATIONS.md)"
  fi
  local kubectl=("${DBOPS_KUBECTL_BASE[@]}" --namespace "$DBOPS_BACKUP_NAMESPACE")
  image="$("${kubectl[@]}" get cronjob "$cronjob" -o jsonpath='{.spec.jobTemplate.spec.template.spec.containers[0].image}')" \
    || dbops_die "the backup CronJob $DBOPS_BACKUP_NAMESPACE/$cronjob is missing: run pulumi up"
  DBOPS_READER="backup-reader-$(date +%s)-$$"
  trap dbops_reader_stop EXIT
  # The pod ends itself after an hour should this script be killed before it deletes it.
  "${kubectl[@]}" apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "$DBOPS_READER", "labels": {"app.kubernetes.io/name": "postgresql-backup-reader", "app.kubernetes.io/part-of": "todo-chatbot"}},
 "spec": {
  "restartPolicy": "Never", "activeDeadlineSeconds": 3600, "automountServiceAccountToken": false,
  "securityContext": {"runAsNonRoot": true, "runAsUser": 999, "runAsGroup": 999, "seccompProfile": {"type": "RuntimeDefault"}},
  "containers": [{
   "name": "reader", "image": "$image", "imagePullPolicy": "IfNotPresent", "command": ["sleep", "3600"],
   "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
   "resources": {"requests": {"cpu": "10m", "memory": "32Mi", "ephemeral-storage": "16Mi"}, "limits": {"cpu": "200m", "memory": "128Mi", "ephemeral-storage": "64Mi"}},
   "volumeMounts": [{"name": "backups", "mountPath": "/backups", "readOnly": true}]}],
  "volumes": [{"name": "backups", "persistentVolumeClaim": {"claimName": "$volume", "readOnly": true}}]}}
EOF
  "${kubectl[@]}" wait --for=condition=Ready "pod/$DBOPS_READER" --timeout=180s >/dev/null \
    || dbops_die "the pod reading the backup volume did not start: ${kubectl[*]} describe pod $DBOPS_READER"
}

dbops_reader_stop() {
  [ -n "$DBOPS_READER" ] || return 0
  "${DBOPS_KUBECTL_BASE[@]}" --namespace "$DBOPS_BACKUP_NAMESPACE" delete pod "$DBOPS_READER" --wait=false >/dev/null 2>&1 || true
  DBOPS_READER=""
}

dbops_reader_exec() {
  "${DBOPS_KUBECTL_BASE[@]}" --namespace "$DBOPS_BACKUP_NAMESPACE" exec -i "$DBOPS_READER" -c reader -- "$@"
}

# dbops_volume_list: "NAME BYTES" per scheduled backup, oldest first (names are UTC timestamps).
dbops_volume_list() {
  dbops_reader_exec find /backups -maxdepth 1 -name '*.dump' -printf '%f %s\n' | sort
}

# dbops_volume_fetch NAME|latest FILE: copy one scheduled backup to FILE, checked readable on the volume first.
dbops_volume_fetch() {
  local name="$1" file="$2" list
  list="$(dbops_volume_list)"
  [ -n "$list" ] || dbops_die "the backup volume holds no backup yet: wait for the schedule, or run one now: ${DBOPS_KUBECTL_BASE[*]} -n $DBOPS_BACKUP_NAMESPACE create job --from=cronjob/$(dbops_output backupCronJob) backup-now"
  [ "$name" = latest ] && name="$(tail -1 <<<"$list" | cut -d' ' -f1)"
  grep -qF "$name " <<<"$list" || dbops_die "no backup named $name on the volume; there are: $(cut -d' ' -f1 <<<"$list" | tr '\n' ' ')"
  dbops_reader_exec pg_restore --list "/backups/$name" >/dev/null 2>&1 || dbops_die "/backups/$name on the volume is not a readable dump"
  dbops_say "copying $name from the backup volume (namespace $DBOPS_BACKUP_NAMESPACE) to $file"
  dbops_reader_exec cat "/backups/$name" >"$file.partial" || { rm -f "$file.partial"; dbops_die "copying $name failed"; }
  mv "$file.partial" "$file"
  echo "backup copied: $file ($(dbops_human "$(stat -c %s "$file")"), scheduled backup $name)"
}
