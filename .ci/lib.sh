# shellcheck shell=bash
# Shared settings for the CI setup scripts and the test scripts. Source it; do not run it.
# Everything downloaded or built lives outside the repository, keyed by version.
export TODO_CACHE="${TODO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-chatbot}"
export GOBIN="$TODO_CACHE/bin"
# One Go module cache and one build cache for every Go build (helm, Kubernetes, the Pulumi
# toolchain, the CI cluster): they are content-addressed, so versions share what they can.
export GOMODCACHE="${GOMODCACHE:-$TODO_CACHE/go/mod}"
export GOCACHE="${GOCACHE:-$TODO_CACHE/go/build}"
# Where CI's Pulumi keeps its plugins (scripts/build-pulumi-toolchain.sh installs them here);
# automatic plugin downloads are off: a missing plugin is an error, never a download attempt.
export PULUMI_HOME="${PULUMI_HOME:-$TODO_CACHE/pulumi-home}"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export UV_CACHE_DIR="${UV_CACHE_DIR:-$TODO_CACHE/uv}"
export npm_config_cache="${npm_config_cache:-$TODO_CACHE/npm}"
export PULUMI_SKIP_UPDATE_CHECK=true
export NEXT_TELEMETRY_DISABLED=1
case ":$PATH:" in *":$GOBIN:"*) ;; *) export PATH="$GOBIN:$PATH" ;; esac
mkdir -p "$GOBIN"

# step NAME: print a visible progress header (CI logs are long).
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# require_tools CODE HINT TOOL...: exit with CODE, naming the first TOOL not on PATH and HINT
# (where it comes from), unless all are there.
require_tools() {
  local code="$1" hint="$2" tool
  shift 2
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found ($hint)" >&2; exit "$code"; }
  done
}

# apt_install PKG...: install Debian packages that are missing (one apt-get update per run).
apt_install() {
  local to_install=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || to_install+=("$pkg"); done
  [ ${#to_install[@]} -eq 0 ] && return 0
  if [ ! -e /tmp/.todo-apt-updated ]; then apt-get update -qq && touch /tmp/.todo-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${to_install[@]}"
}

# go_tool BINARY MODULE@VERSION: build a Go tool into $GOBIN unless that version is already there.
go_tool() {
  local bin="$1" module="$2" stamp="$GOBIN/.$1.version"
  if [ -x "$GOBIN/$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$module" ]; then return 0; fi
  step "building $module"
  CGO_ENABLED=0 go install "$module"
  echo "$module" >"$stamp"
}

# free_loopback_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_loopback_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# compose_test_env FILE BACKEND_IMAGE FRONTEND_IMAGE: the env file of a throwaway Compose stack
# (docker-compose.yml) on a free loopback port with fresh secrets; prints the app's URL.
compose_test_env() {
  local port
  port="$(free_loopback_port)"
  cat >"$1" <<ENV
POSTGRES_PASSWORD=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
BETTER_AUTH_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
OPENROUTER_API_KEY=
FRONTEND_PORT=$port
PUBLIC_URL=http://127.0.0.1:$port
BACKEND_IMAGE=$2
FRONTEND_IMAGE=$3
ENV
  echo "http://127.0.0.1:$port"
}
