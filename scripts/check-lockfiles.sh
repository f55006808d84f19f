#!/usr/bin/env bash
# Fails when a lockfile is missing, out of sync with its manifest or incomplete, and prints the
# command that fixes it. Never rewrites a lockfile: the npm checks run on temporary copies.
#
#   npm (package.json + package-lock.json), the lockfile `npm ci` installs everywhere:
#     in sync    `npm ci --dry-run`: npm ci's own check that every dependency of package.json and
#                of every locked package, optional platform packages included, has an entry.
#     complete   every locked package's dependency lists and platform fields (dependencies,
#                optionalDependencies, peerDependencies, os, cpu, libc) equal the registry's
#                manifest of that version. A lockfile made behind a mirror that drops entries
#                fails the first check; one whose entries lost their optionalDependencies as
#                well passes it and fails this one. The manifests come from one resolution of
#                every locked name@version (npm aliases) in a temporary directory.
#   uv (pyproject.toml + uv.lock): `uv lock --check`. uv locks for every platform by design, and
#                the setup scripts and Dockerfiles install with `uv sync --locked`.
#
# Usage: scripts/check-lockfiles.sh [DIR...]
#   (default: every directory of the repository with a package.json or a pyproject.toml)
# Needs the npm registry (the completeness check resolves manifests) and uv.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/.ci/lib.sh"

if [ $# -gt 0 ]; then
  dirs=("$@")
else
  cd "$repo"
  mapfile -t dirs < <(git ls-files '*package.json' '*pyproject.toml' | grep -v '/node_modules/' | xargs -r -n1 dirname | sort -u)
fi

work="$(mktemp -d /tmp/check-lockfiles.XXXXXX)"
trap 'rm -rf "$work"' EXIT
npm_flags=(--ignore-scripts --no-audit --no-fund --loglevel=error)
failures=0

# fail DIR WHAT FIX-COMMAND [DETAILS-FILE]
fail() {
  failures=$((failures + 1))
  echo "FAIL $1: $2" >&2
  # npm appends its usage text to a refusal: the lines before it are the reason.
  if [ -n "${4:-}" ]; then sed '/Clean install a project/,$d; s/^/  | /' "$4" | head -40 >&2; fi
  echo "  fix: $3" >&2
  echo "  then review and commit the lockfile" >&2
}

# check_npm DIR: the lockfile's own consistency, then its entries against the registry.
check_npm() {
  local dir="$1" copy="$work/copy" manifests="$work/manifests" log="$work/log"
  local sync_fix="cd $dir && npm install --package-lock-only --ignore-scripts"
  local fresh_fix="cd $dir && rm -rf node_modules package-lock.json && npm install --package-lock-only --ignore-scripts"
  if [ ! -f "$dir/package-lock.json" ]; then
    fail "$dir" "no package-lock.json (npm ci cannot install without one)" "$fresh_fix"
    return
  fi
  rm -rf "$copy" "$manifests"; mkdir -p "$copy" "$manifests"
  cp "$dir/package.json" "$dir/package-lock.json" "$copy/"
  if [ -f "$dir/.npmrc" ]; then cp "$dir/.npmrc" "$copy/"; fi
  if ! (cd "$copy" && npm ci --dry-run "${npm_flags[@]}") >"$log" 2>&1; then
    fail "$dir" "package-lock.json is out of sync with package.json or lacks entries (npm ci refuses it)" \
      "$sync_fix" "$log"
    return
  fi

  # One alias per locked registry package: npm:NAME@VERSION resolves exactly that manifest.
  # Optional, so packages for other platforms resolve; peers are not the question here.
  node - "$copy/package-lock.json" "$manifests/package.json" <<'EOF'
const fs = require("node:fs");
const [lockPath, outPath] = process.argv.slice(2);
const aliases = {};
let n = 0;
for (const [path, entry] of Object.entries(JSON.parse(fs.readFileSync(lockPath, "utf8")).packages)) {
  if (!path || entry.link || entry.inBundle || !entry.version) continue;
  if (entry.resolved && !/^https?:\/\/.*\/-\//.test(entry.resolved)) continue; // git, file: not from the registry
  const spec = `npm:${entry.name || path.replace(/^.*node_modules\//, "")}@${entry.version}`;
  if (!Object.values(aliases).includes(spec)) aliases[`locked-${n++}`] = spec;
}
fs.writeFileSync(outPath, JSON.stringify({ name: "manifests", version: "0.0.0", private: true, optionalDependencies: aliases }, null, 2));
EOF
  if [ -f "$dir/.npmrc" ]; then cp "$dir/.npmrc" "$manifests/"; fi
  if ! (cd "$manifests" && npm install --package-lock-only --legacy-peer-deps "${npm_flags[@]}") >"$log" 2>&1; then
    fail "$dir" "could not resolve the locked packages' manifests from the registry (is it reachable?)" \
      "$fresh_fix" "$log"
    return
  fi
  if ! node - "$copy/package-lock.json" "$manifests/package.json" "$manifests/package-lock.json" >"$log" <<'EOF'
const fs = require("node:fs");
const read = (p) => JSON.parse(fs.readFileSync(p, "utf8"));
const [lockPath, aliasesPath, resolvedPath] = process.argv.slice(2);
const resolved = read(resolvedPath).packages;
const registry = new Map();
for (const [alias, spec] of Object.entries(read(aliasesPath).optionalDependencies)) {
  registry.set(spec.slice("npm:".length), resolved[`node_modules/${alias}`]);
}
const FIELDS = ["dependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta", "os", "cpu", "libc"];
const canon = (v) => JSON.stringify(v && !Array.isArray(v) && typeof v === "object" ? Object.fromEntries(Object.entries(v).sort()) : (v ?? null));
let bad = 0;
for (const [path, entry] of Object.entries(read(lockPath).packages)) {
  if (!path || entry.link || entry.inBundle || !entry.version) continue;
  if (entry.resolved && !/^https?:\/\/.*\/-\//.test(entry.resolved)) continue;
  const id = `${entry.name || path.replace(/^.*node_modules\//, "")}@${entry.version}`;
  const manifest = registry.get(id);
  if (!manifest) { console.log(`${path}: ${id} did not resolve`); bad++; continue; }
  for (const field of FIELDS) {
    if (canon(entry[field]) !== canon(manifest[field])) {
      console.log(`${path} (${id}) ${field}: lockfile ${canon(entry[field])}, registry ${canon(manifest[field])}`);
      bad++;
    }
  }
}
process.exit(bad ? 1 : 0);
EOF
  then
    fail "$dir" "package-lock.json entries differ from the registry's manifests (incomplete lockfile)" \
      "$fresh_fix" "$log"
    return
  fi
  echo "ok $dir/package-lock.json: in sync, $(node -p 'Object.keys(require(process.argv[1]).packages).length - 1' "$copy/package-lock.json") entries match the registry"
}

check_uv() {
  local dir="$1" log="$work/log"
  if [ ! -f "$dir/uv.lock" ]; then
    fail "$dir" "no uv.lock (uv sync --locked cannot install without one)" "cd $dir && uv lock"
    return
  fi
  if ! uv lock --check --project "$dir" >"$log" 2>&1; then
    fail "$dir" "uv.lock is out of sync with pyproject.toml (uv lock --check)" "cd $dir && uv lock" "$log"
    return
  fi
  echo "ok $dir/uv.lock: in sync"
}

for dir in "${dirs[@]}"; do
  dir="${dir%/}"
  found=0
  if [ -f "$dir/package.json" ]; then check_npm "$dir"; found=1; fi
  if [ -f "$dir/pyproject.toml" ]; then check_uv "$dir"; found=1; fi
  [ "$found" -eq 1 ] || { echo "$dir: neither package.json nor pyproject.toml" >&2; exit 2; }
done
[ "$failures" -eq 0 ] || { echo "lockfiles: $failures failed" >&2; exit 1; }
echo "lockfiles: ${#dirs[@]} projects, all in sync and complete"
