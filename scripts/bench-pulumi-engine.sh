#!/usr/bin/env bash
# Benchmark of the real engine on this program (figures go to docs/BENCHMARKS.md). Uses a
# throwaway copy of the project and file backend.
#   render:  `pulumi preview` of each stack against a loopback API server; the first `pulumi up`
#            in render mode with the image builds cold (no build cache) and warm; a no-op up;
#            `pulumi destroy`
#   cluster: on the CI cluster (scripts/ci-cluster.sh): cluster up; the first `pulumi up` of the
#            local stack's settings with images cold and warm; a no-op up; a one-file backend
#            change rolled out; `pulumi destroy`; cluster down
# Usage: scripts/bench-pulumi-engine.sh [render|cluster]...   (default: both; needs what
#        scripts/test-pulumi-engine.sh and scripts/test-deploy.sh need)
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

bin_dir="$(bash scripts/build-pulumi-toolchain.sh --bin-dir)"
work="$(mktemp -d /tmp/pulumi-engine-bench.XXXXXX)"
trap 'bash scripts/kube-apiserver-loopback.sh stop "$work/api" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

export PATH="$bin_dir:$PATH" PULUMI_BACKEND_URL="file://$work/state" PULUMI_CONFIG_PASSPHRASE=bench \
  PULUMI_IGNORE_AMBIENT_PLUGINS=true NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
mkdir -p "$work/state" "$work/project"
git ls-files -z --cached --others --exclude-standard -- Pulumi.yaml Pulumi.local.yaml Pulumi.production.yaml index.ts config.ts components lib \
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

# remove_app_images: the app images gone, BuildKit's cache kept (a warm build).
remove_app_images() {
  /usr/bin/docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '(^|/)todo-chatbot-(frontend|backend):' | xargs -r /usr/bin/docker rmi -f >/dev/null 2>&1 || true
}
# forget_images: the app images and BuildKit's cache gone (base images stay: they cannot be pulled here).
forget_images() { remove_app_images; /usr/bin/docker builder prune -af >/dev/null; }

bench_render() {
  forget_images
  timed "preview local (images built, cold cache)" p preview --stack local
  timed "preview local (images cached)" p preview --stack local
  timed "preview production (images cached)" p preview --stack production
  (cd "$work/project" && p config set renderYamlToDirectory "$work/rendered" -s local && p config set buildOnPreview false -s local)
  forget_images
  timed "render: first up, images cold" p up --stack local --yes
  timed "render: no-op up" p up --stack local --yes
  timed "render: destroy" p destroy --stack local --yes
  remove_app_images
  timed "render: first up, images warm (build cache)" p up --stack local --yes
  timed "render: destroy" p destroy --stack local --yes
}

bench_cluster() {
  trap 'bash scripts/ci-cluster.sh down >/dev/null 2>&1 || true; bash scripts/kube-apiserver-loopback.sh stop "$work/api" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  timed "cluster up (binaries built)" bash "$PWD/scripts/ci-cluster.sh" up
  bash scripts/ci-cluster.sh load-image "$(sed -n '/^  postgresImage:/,/default:/s/^ *default: *//p' Pulumi.yaml)" >/dev/null
  eval "$(bash scripts/ci-cluster.sh env | grep -E '^CI_REGISTRY(_USER|_PASSWORD)?=')"
  ci_kubeconfig="$(bash scripts/ci-cluster.sh kubeconfig)"
  (cd "$work/project" && p stack init ci --copy-config-from local >/dev/null && p config set kubeconfig "$ci_kubeconfig" -s ci \
    && p config set kubeContext ci-cluster -s ci && p config set imageRegistry "$CI_REGISTRY/todo" -s ci \
    && p config set imageRegistryUsername "$CI_REGISTRY_USER" -s ci && p config set --secret imageRegistryPassword "$CI_REGISTRY_PASSWORD" -s ci)
  forget_images
  timed "cluster: first up, images cold" p up --stack ci --yes
  timed "cluster: no-op up" p up --stack ci --yes
  echo "# a one-line change" >>"$work/project/app/backend/app/main.py"
  timed "cluster: one-file backend change rolled out" p up --stack ci --yes
  timed "cluster: destroy" p destroy --stack ci --yes
  remove_app_images
  timed "cluster: first up, images warm" p up --stack ci --yes
  timed "cluster: destroy" p destroy --stack ci --yes
  timed "cluster down" bash "$PWD/scripts/ci-cluster.sh" down
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(render cluster)
for part in "${parts[@]}"; do
  case "$part" in
    render) bench_render ;;
    cluster) bench_cluster ;;
    *) echo "unknown part '$part' (render, cluster)" >&2; exit 2 ;;
  esac
done
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
