#!/usr/bin/env bash
# Base tools every area needs: a few Debian packages and uv.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

UV_VERSION=0.13.8

step "base Debian packages"
apt_install ca-certificates curl git jq postgresql-15

if [ "$(uv --version 2>/dev/null | awk '{print $2}')" != "$UV_VERSION" ]; then
  step "installing uv $UV_VERSION"
  python3 -m venv "$TODO_CACHE/uv-$UV_VERSION"
  "$TODO_CACHE/uv-$UV_VERSION/bin/pip" install -q "uv==$UV_VERSION"
  ln -sf "$TODO_CACHE/uv-$UV_VERSION/bin/uv" "$TODO_CACHE/uv-$UV_VERSION/bin/uvx" "$GOBIN/"
fi
uv --version
