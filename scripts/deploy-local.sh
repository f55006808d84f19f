#!/usr/bin/env bash
# Deploys the Todo Chatbot to Minikube: the `local` stack of the Pulumi program.
#
#   scripts/deploy-local.sh [PULUMI-UP-OPTION...]     e.g. --yes to skip the confirmation
#
# Does all the set-up it can, and says what it does:
#   1. checks Docker, Minikube, the Pulumi CLI, Node.js 20+ and npm (install hints if missing);
#   2. starts Minikube with the ingress and metrics-server addons (and a CNI that enforces
#      NetworkPolicies) unless it is running, and enables those addons if it is;
#   3. logs Pulumi in to a local file backend when no backend is configured, with a
#      generated passphrase file for the stack's secrets;
#   4. installs the program's npm dependencies when they are missing or stale;
#   5. selects the stack `local` (creating it on first use) and points the image builds at
#      Minikube's Docker daemon (`minikube docker-env`);
#   6. runs `pulumi up`.
# Settings (environment): MINIKUBE_PROFILE (minikube), MINIKUBE_CPUS (4), MINIKUBE_MEMORY (8g),
# MINIKUBE_CNI (calico), PULUMI_BACKEND_URL (a backend to use instead of the local file one).
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE="${MINIKUBE_PROFILE:-minikube}"
STACK=local
STATE_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/todo-chatbot"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

need() { # need COMMAND "install hint"
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"
}

say "checking prerequisites"
need docker "Install Docker: https://docs.docker.com/engine/install/"
need minikube "Install Minikube: https://minikube.sigs.k8s.io/docs/start/"
need pulumi "Install the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/ (curl -fsSL https://get.pulumi.com | sh)"
need node "Install Node.js 20 or newer: https://nodejs.org/en/download"
need npm "npm comes with Node.js: https://nodejs.org/en/download"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: the program needs 20 or newer (https://nodejs.org/en/download)"
docker info >/dev/null 2>&1 || die "Docker is installed but its daemon does not answer (is it running, and may $(id -un) use it?)"

if minikube status --profile "$PROFILE" --format '{{.Host}}/{{.APIServer}}' 2>/dev/null | grep -q '^Running/Running$'; then
  say "Minikube profile $PROFILE is running"
else
  say "starting Minikube profile $PROFILE (${MINIKUBE_CPUS:-4} CPUs, ${MINIKUBE_MEMORY:-8g}, CNI ${MINIKUBE_CNI:-calico}); the first start downloads images and takes a few minutes"
  minikube start --profile "$PROFILE" --cpus "${MINIKUBE_CPUS:-4}" --memory "${MINIKUBE_MEMORY:-8g}" \
    --cni "${MINIKUBE_CNI:-calico}" --addons ingress --addons metrics-server
fi
for addon in ingress metrics-server; do
  minikube addons list --profile "$PROFILE" --output json | node -e '
    const addons = JSON.parse(require("fs").readFileSync(0, "utf8"));
    process.exit(addons[process.argv[1]]?.Status === "enabled" ? 0 : 1)' "$addon" \
    || { say "enabling the Minikube addon $addon"; minikube addons enable "$addon" --profile "$PROFILE"; }
done

export PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"
if [ -z "${PULUMI_BACKEND_URL:-}" ] && ! pulumi whoami >/dev/null 2>&1; then
  export PULUMI_BACKEND_URL="file://$STATE_DIR/pulumi-state"
  mkdir -p "$STATE_DIR/pulumi-state"
  say "no Pulumi backend configured: using the local file backend $PULUMI_BACKEND_URL"
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE_FILE="$STATE_DIR/pulumi-passphrase"
  if [ ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
    mkdir -p "$STATE_DIR"
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$PULUMI_CONFIG_PASSPHRASE_FILE")
    say "generated a passphrase for the stack's secrets in $PULUMI_CONFIG_PASSPHRASE_FILE (keep it: it decrypts Pulumi.local.yaml's secrets)"
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing the program's dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

say "selecting stack $STACK"
pulumi stack select "$STACK" --create

# Build the images inside Minikube, so the cluster runs them without any registry.
eval "$(minikube docker-env --profile "$PROFILE" --shell bash)"
if [ "$(pulumi config get kubeContext --stack "$STACK" 2>/dev/null)" != "$PROFILE" ]; then
  pulumi config set kubeContext "$PROFILE" --stack "$STACK"
fi
if ! pulumi config get publicUrl --stack "$STACK" >/dev/null 2>&1; then
  node_port="$(pulumi config get frontendNodePort --stack "$STACK" 2>/dev/null || echo 30000)"
  pulumi config set publicUrl "http://$(minikube ip --profile "$PROFILE"):$node_port" --stack "$STACK"
  say "the app will be served at $(pulumi config get publicUrl --stack "$STACK") (change with: pulumi config set publicUrl URL --stack $STACK)"
fi

say "pulumi up --stack $STACK"
pulumi up --stack "$STACK" "$@"

say "done"
pulumi stack output --stack "$STACK"
