#!/usr/bin/env bash
# Benchmark of the real engine on this program (figures go to docs/BENCHMARKS.md, "Pulumi
# toolchain and previews"): `pulumi preview` of each stack against a loopback API server, the
# first `pulumi up` in render mode with the image builds cold (no build cache) and warm, a no-op
# `pulumi up`, and `pulumi destroy`. Uses a throwaway copy of the project and file backend.
# Usage: scripts/bench-pulumi-engine.sh   (needs what scripts/test-pulumi-engine.sh needs)
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

bin_dir="$(bash scripts/build-pulumi-toolchain.sh --bin-dir)"
work="$(mktemp -d /tmp/pulumi-engine-bench.XXXXXX)"
trap 'bash scripts/kube-apiserver-loopback.sh stop "$work/api" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

export PATH="$bin_dir:$PATH" PULUMI_BACKEND_URL="file://$work/state" PULUMI_CONFIG_PASSPHRASE=bench \
  PULUMI_IGNORE_AMBIENT_PLUGINS=true NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
mkdir -p "$work/state" "$work/project"
git ls-files -z -- Pulumi.yaml Pulumi.local.yaml Pulumi.production.yaml index.ts config.ts components lib \
  package.json package-lock.json tsconfig.json charts/todo-chatbot app/backend app/frontend \
  | xargs -0 cp --parents -t "$work/project"
ln -s "$PWD/node_modules" "$work/project/node_modules"
kubeconfig="$(bash scripts/kube-apiserver-loopback.sh start "$work/api" minikube production)"

# timed LABEL COMMAND...: run it in the project copy, print wall time; the output goes to a log.
timed() {
  local label="$1" start; shift
  start=$EPOCHREALTIME
  (cd "$work/project" && "$@") >"$work/$label.log" 2>&1 || { tail -30 "$work/$label.log" >&2; echo "$label failed" >&2; exit 1; }
  awk -v label="$label" -v start="$start" -v end="$EPOCHREALTIME" 'BEGIN { printf "%-48s %6.1f s\n", label, end - start }'
}
p() { pulumi --non-interactive "$@"; }

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$work/project" && p stack init local >/dev/null && p config set kubeconfig "$kubeconfig" -s local \
  && p stack init production >/dev/null && p config set kubeconfig "$kubeconfig" -s production \
  && p config set --secret imageRegistryPassword bench -s production \
  && p config set --secret databaseUrl postgresql://todo:bench@db.example.com:5432/todo -s production \
  && p config set --secret openrouterApiKey bench -s production)

# Images cold: the app images and BuildKit's cache gone (base images stay: they cannot be pulled here).
/usr/bin/docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^todo-chatbot-(frontend|backend):' | xargs -r /usr/bin/docker rmi -f >/dev/null
/usr/bin/docker builder prune -af >/dev/null
timed "preview local (images built, cold cache)" p preview --stack local
timed "preview local (images cached)" p preview --stack local
timed "preview production (images cached)" p preview --stack production
(cd "$work/project" && p config set renderYamlToDirectory "$work/rendered" -s local && p config set buildOnPreview false -s local)
/usr/bin/docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^todo-chatbot-(frontend|backend):' | xargs -r /usr/bin/docker rmi -f >/dev/null
/usr/bin/docker builder prune -af >/dev/null
timed "first up, render mode, images cold" p up --stack local --yes
timed "no-op up" p up --stack local --yes
timed "destroy" p destroy --stack local --yes
/usr/bin/docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^todo-chatbot-(frontend|backend):' | xargs -r /usr/bin/docker rmi -f >/dev/null
timed "first up, render mode, images warm (build cache)" p up --stack local --yes
timed "destroy" p destroy --stack local --yes
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
