#!/usr/bin/env bash
# Tests of scripts/check-lockfiles.sh on tiny projects in a temporary directory: it passes a
# complete lockfile; fails each kind of broken one, leaves it untouched and prints a fix
# command that repairs it. Needs the npm registry (two small @img packages) and uv.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

tmp="$(mktemp -d /tmp/check-lockfiles-test.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
check="$PWD/scripts/check-lockfiles.sh"
cases=0

# expect_pass DIR
expect_pass() {
  if ! bash "$check" "$1" >"$tmp/out" 2>&1; then
    cat "$tmp/out" >&2; echo "FAIL: expected $1 to pass" >&2; exit 1
  fi
}

# expect_fail DIR LOCKFILE PATTERN: fails, says PATTERN, leaves LOCKFILE as it was (or absent)
# and prints a fix command that makes the check pass.
expect_fail() {
  local dir="$1" lockfile="$2" pattern="$3" before after fix
  before="$(sha256sum "$dir/$lockfile" 2>/dev/null || echo absent)"
  if bash "$check" "$dir" >"$tmp/out" 2>&1; then
    cat "$tmp/out" >&2; echo "FAIL: expected $dir to fail ($pattern)" >&2; exit 1
  fi
  after="$(sha256sum "$dir/$lockfile" 2>/dev/null || echo absent)"
  grep -q -- "$pattern" "$tmp/out" || { cat "$tmp/out" >&2; echo "FAIL: output lacks '$pattern'" >&2; exit 1; }
  [ "$before" = "$after" ] || { echo "FAIL: the check changed $dir/$lockfile" >&2; exit 1; }
  fix="$(sed -n 's/^  fix: //p' "$tmp/out")"
  [ -n "$fix" ] || { cat "$tmp/out" >&2; echo "FAIL: no fix command printed" >&2; exit 1; }
  (eval "$fix") >"$tmp/fix.log" 2>&1 || { cat "$tmp/fix.log" >&2; echo "FAIL: the fix command failed: $fix" >&2; exit 1; }
  expect_pass "$dir"
  cases=$((cases + 1))
  echo "ok: $pattern -> fixed by: $fix"
}

# edit_lock FILE JS: apply JS (a statement on `lock`) to a package-lock.json.
edit_lock() {
  node -e 'const fs = require("node:fs"); const f = process.argv[1]; const lock = JSON.parse(fs.readFileSync(f, "utf8"));
    new Function("lock", process.argv[2])(lock); fs.writeFileSync(f, JSON.stringify(lock, null, 2) + "\n");' "$1" "$2"
}

step "npm: a project with a platform-specific optional dependency (macOS arm64 only)"
npm_dir="$tmp/npm"
mkdir -p "$npm_dir"
cat >"$npm_dir/package.json" <<'EOF'
{ "name": "fixture", "version": "1.0.0", "private": true,
  "optionalDependencies": { "@img/sharp-darwin-arm64": "0.35.5" } }
EOF
(cd "$npm_dir" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund --loglevel=error) >/dev/null
# npm records other platforms' packages when it resolves from scratch: what "complete" means.
node -e 'const p = require(process.argv[1]).packages; if (!p["node_modules/@img/sharp-libvips-darwin-arm64"]) process.exit(1)' \
  "$npm_dir/package-lock.json" || { echo "FAIL: npm did not lock the darwin-only package on this platform" >&2; exit 1; }
expect_pass "$npm_dir"; cases=$((cases + 1)); echo "ok: a complete lockfile passes"

# What a registry mirror serving only Linux builds produced: the entry is absent.
edit_lock "$npm_dir/package-lock.json" 'delete lock.packages["node_modules/@img/sharp-libvips-darwin-arm64"]'
expect_fail "$npm_dir" package-lock.json "lacks entries"

# The entry absent and its parent's optionalDependencies stripped: npm ci accepts this lockfile.
edit_lock "$npm_dir/package-lock.json" 'delete lock.packages["node_modules/@img/sharp-libvips-darwin-arm64"];
  delete lock.packages["node_modules/@img/sharp-darwin-arm64"].optionalDependencies'
expect_fail "$npm_dir" package-lock.json "differ from the registry"

# package.json changed, lockfile not updated.
node -e 'const fs = require("node:fs"); const f = process.argv[1]; const p = JSON.parse(fs.readFileSync(f, "utf8"));
  p.optionalDependencies["@img/sharp-libvips-darwin-x64"] = "1.3.4"; fs.writeFileSync(f, JSON.stringify(p, null, 2));' "$npm_dir/package.json"
expect_fail "$npm_dir" package-lock.json "out of sync"

rm "$npm_dir/package-lock.json"
expect_fail "$npm_dir" package-lock.json "no package-lock.json"

step "uv: a project without dependencies"
uv_dir="$tmp/uv"
mkdir -p "$uv_dir"
printf '[project]\nname = "fixture"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n' >"$uv_dir/pyproject.toml"
uv lock --quiet --project "$uv_dir"
expect_pass "$uv_dir"; cases=$((cases + 1)); echo "ok: a current uv.lock passes"
sed -i 's/^version = "0.1.0"/version = "0.2.0"/' "$uv_dir/pyproject.toml"
expect_fail "$uv_dir" uv.lock "uv.lock is out of sync"
rm "$uv_dir/uv.lock"
expect_fail "$uv_dir" uv.lock "no uv.lock"

echo "check-lockfiles: $cases cases passed"
