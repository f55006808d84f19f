#!/usr/bin/env bash
# CI-ONLY FIXTURE: stand-ins for the official base images, built from Debian packages.
#
# The CI machine reaches no container registry, so the base images named by
# app/backend/Dockerfile, app/frontend/Dockerfile and docker-compose.yml cannot be
# pulled there. For each of them that is missing locally AND cannot be pulled, this
# script builds a look-alike from Debian bookworm packages and tags it with the
# official name, so the real Dockerfiles and the Compose file run unchanged.
# On a machine that can pull (a user's), it builds nothing.
#
# The builder images (debian:*-slim is the backend's, node:*-bookworm-slim the frontend's)
# trust this machine's CA bundle the way a corporate base image trusts its proxy's CA: the
# builds download through this machine's TLS-intercepting proxy, and the Pulumi docker
# provider cannot pass the Dockerfiles' optional `ca` build secret (docs/DECISIONS.md). The
# runtime images and postgres stay without it: no app image may hold a host certificate
# (scripts/test-containers.sh checks). The builder stand-ins are labelled with the bundle's
# hash (org.todo-chatbot.standin-ca): one built for another bundle, or an unlabelled local one
# without a registry digest (a stand-in from before this rule), is rebuilt.
#
# Faithfulness rules (what the apps rely on, so what CI proves):
#   debian:*-slim                 debootstrap minbase + the slim image's dpkg path excludes;
#                                 builder: this machine's CA bundle as the system bundle
#                                 (/etc/ssl/certs/ca-certificates.crt), SSL_CERT_FILE set to it
#                                 (uv, Python, OpenSSL)
#   node:<v>-bookworm-slim        the debian stand-in + the host's Node binary and npm (same <v>);
#                                 builder: NODE_EXTRA_CA_CERTS set to that bundle as well
#   ghcr.io/astral-sh/uv:<v>      scratch + the host's uv and uvx binaries (same <v>)
#   gcr.io/distroless/*-debian12  Debian 12 libraries unpacked from .debs: no shell, no package
#                                 manager, user nonroot (65532); python3 runs /usr/bin/python3.11,
#                                 nodejs20 runs /nodejs/bin/node (the host's Node 20)
#   postgres:15-bookworm          the debian stand-in without the host CA (local image
#                                 todo-chatbot-standin/debian:<v>-slim) + Debian's
#                                 postgresql-15, an entrypoint
#                                 honouring POSTGRES_USER/POSTGRES_PASSWORD[_FILE]/POSTGRES_DB, data in
#                                 /var/lib/postgresql/data, UTF-8 databases, pg_isready on PATH
# Downloads are cached under $TODO_CACHE/standins (the minbase tree per suite and day,
# the .deb files under their versioned names).
#
# Usage: .ci/base-image-standins.sh [IMAGE...]   (default: every base image the repo names)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

DOCKER=/usr/bin/docker # Debian's client: its built-in BuildKit works without buildx
SUITE=bookworm
CACHE="$TODO_CACHE/standins"
MIRROR="$(awk '/^URIs:/ {print $2; exit} /^deb / {print $2; exit}' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$CACHE/debs"
CA_LABEL=org.todo-chatbot.standin-ca # also keys the postgres stand-in, by its recipe
HOST_CA=/etc/ssl/certs/ca-certificates.crt
[ -s "$HOST_CA" ] || { echo "no CA bundle at $HOST_CA: install Debian's ca-certificates" >&2; exit 1; }
HOST_CA_KEY="ca-sha256:$(sha256sum "$HOST_CA" | cut -c1-64)"

# standin_key TAG: the label a stand-in must carry to be current: for a builder image the CA
# bundle's hash (a changed bundle, e.g. a new proxy CA, rebuilds it), for postgres its
# recipe's hash (Dockerfile and entrypoint); nothing for the other images.
standin_key() {
  case "$1" in
    debian:*-slim|node:*-bookworm-slim) echo "$HOST_CA_KEY" ;;
    postgres:*) echo "recipe-sha256:$({ postgres_dockerfile; postgres_entrypoint; } | sha256sum | cut -c1-64)" ;;
  esac
}

# The base images the repository names: the Dockerfiles' *_IMAGE build-arg defaults and
# the Compose file's pulled images (services with a build section are built, not pulled).
repo_base_images() {
  sed -n 's/^ARG [A-Z_]*_IMAGE=//p' app/backend/Dockerfile app/frontend/Dockerfile
  sed -n 's/^ *image: *\([a-z][^$]*\)$/\1/p' docker-compose.yml
}

# minbase_tree: a debootstrap minbase root of $SUITE, cached as a tarball per day.
minbase_tarball() {
  local tarball
  tarball="$CACHE/$SUITE-minbase-$(date -u +%Y%m%d).tar"
  if [ ! -s "$tarball" ]; then
    step "debootstrap --variant=minbase $SUITE from $MIRROR (cached as $tarball)" >&2
    local root; root="$(mktemp -d /tmp/todo-minbase.XXXXXX)"
    debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log" >&2; rm -rf "$root"; return 1; }
    tar -C "$root" --numeric-owner -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$root"
    find "$CACHE" -maxdepth 1 -name "$SUITE-minbase-*.tar" ! -name "$(basename "$tarball")" -delete
  fi
  echo "$tarball"
}

# import_debian_slim TAG: the minbase tree, slimmed like the official image, imported as TAG.
import_debian_slim() {
  local tag="$1" tarball root
  tarball="$(minbase_tarball)"
  root="$(mktemp -d /tmp/todo-debian-slim.XXXXXX)"
  tar -C "$root" -xf "$tarball"
  # What the official slim variant leaves out, kept out of later apt installs as well.
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  rm -rf "$root"/usr/share/{man,groff,info,locale,lintian,linda}/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  tar -C "$root" --numeric-owner -c . | $DOCKER import --change 'CMD ["bash"]' - "$tag" >/dev/null
  rm -rf "$root"
}

# plain_debian: the tag of the debian stand-in without the host CA (imported when missing), a
# local name no registry serves: the base of the stand-ins that are not builders.
plain_debian() {
  local tag
  tag="todo-chatbot-standin/$(debian_standin_tag)"
  if ! $DOCKER image inspect "$tag" >/dev/null 2>&1; then import_debian_slim "$tag"; fi
  echo "$tag"
}

# The backend's builder: the plain stand-in + this machine's CA bundle as the system bundle.
build_debian_slim() {
  local tag="$1" plain ctx
  require_same_version "$tag" "$(sed 's/^debian:\(.*\)-slim$/\1/' <<<"$tag")" \
    "$(tar -xOf "$(minbase_tarball)" ./etc/debian_version)"
  plain="$(plain_debian)"
  ctx="$(mktemp -d /tmp/todo-debian-standin.XXXXXX)"
  cp "$HOST_CA" "$ctx/ca-certificates.crt"
  $DOCKER build -q -t "$tag" --label "$CA_LABEL=$(standin_key "$tag")" --build-arg BASE="$plain" \
    -f - "$ctx" >/dev/null <<'EOF'
ARG BASE
FROM $BASE
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
EOF
  rm -rf "$ctx"
}

# The tag of the debian:<point release>-slim stand-in; the node stand-in builds on it.
debian_standin_tag() {
  echo "debian:$(tar -xOf "$(minbase_tarball)" ./etc/debian_version)-slim"
}

# The Debian release the stand-in of a debian:<version>-slim tag must match.
require_same_version() {
  local what="$1" wanted="$2" have="$3"
  if [ "$wanted" != "$have" ]; then
    echo "cannot build a faithful stand-in for $what: it needs $wanted, this machine has $have" >&2
    return 1
  fi
}

build_node_slim() {
  local tag="$1" version debian_tag ctx
  version="${tag#node:}"; version="${version%%-*}"
  require_same_version "$tag" "v$version" "$(node --version)"
  debian_tag="$(debian_standin_tag)"
  ensure_image "$debian_tag"
  ctx="$(mktemp -d /tmp/todo-node-standin.XXXXXX)"
  cp "$(command -v node)" "$ctx/node"
  cp -a "$(npm root -g 2>/dev/null)/npm" "$ctx/npm"
  $DOCKER build -q -t "$tag" --label "$CA_LABEL=$(standin_key "$tag")" \
    --build-arg BASE="$debian_tag" --build-arg NODE_VERSION="$version" -f - "$ctx" >/dev/null <<'EOF'
ARG BASE
FROM $BASE
ARG NODE_VERSION
ENV NODE_VERSION=$NODE_VERSION NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
EOF
  rm -rf "$ctx"
}

build_uv() {
  local tag="$1" ctx
  require_same_version "$tag" "uv ${tag##*:}" "$(uv --version | awk '{print $1, $2}')"
  ctx="$(mktemp -d /tmp/todo-uv-standin.XXXXXX)"
  cp "$(readlink -f "$(command -v uv)")" "$ctx/uv"
  cp "$(readlink -f "$(command -v uvx)")" "$ctx/uvx"
  $DOCKER build -q -t "$tag" -f - "$ctx" >/dev/null <<'EOF'
FROM scratch
COPY uv uvx /
ENTRYPOINT ["/uv"]
EOF
  rm -rf "$ctx"
}

# Debian packages of the distroless images (their published package lists, Debian 12).
DISTROLESS_BASE=(base-files netbase tzdata media-types ca-certificates libc6 libssl3 libgcc-s1 libgomp1 libstdc++6 gcc-12-base)
DISTROLESS_PYTHON=(python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libbz2-1.0 libcrypt1 libdb5.3
  libexpat1 libffi8 liblzma5 libncursesw6 libnsl2 libreadline8 libsqlite3-0 libtinfo6 libtirpc3
  libtirpc-common libuuid1 zlib1g libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2)

# distroless_root DIR PKG...: unpack the packages (no maintainer scripts run: nothing to
# run them with) and add what the distroless base adds: users, /tmp, the CA bundle.
distroless_root() {
  local root="$1"; shift
  local uris name missing=() debs=()
  uris="$(apt-get download --print-uris "$@")"
  while read -r _ name _; do
    debs+=("$CACHE/debs/$name")
    [ -s "$CACHE/debs/$name" ] || missing+=("${name%%_*}")
  done <<<"$uris"
  if [ ${#missing[@]} -gt 0 ]; then
    (cd "$CACHE/debs" && apt-get download -q=2 "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed') || true
  fi
  local deb
  for deb in "${debs[@]}"; do
    [ -s "$deb" ] || { echo "download failed: $deb" >&2; return 1; }
    dpkg-deb -x "$deb" "$root"
  done
  rm -rf "$root"/usr/share/{doc,man,info,lintian}
  mkdir -p "$root"/{etc/ssl/certs,home/nonroot,root,tmp,var/lib/dpkg}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  chown 65532:65532 "$root/home/nonroot"
  find "$root/usr/share/ca-certificates/mozilla" -name '*.crt' -print0 | sort -z | xargs -0 cat >"$root/etc/ssl/certs/ca-certificates.crt"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
  printf '%s\n' "$@" >"$root/var/lib/dpkg/standin-packages"
}

# distroless_import DIR TAG ENTRYPOINT_JSON
distroless_import() {
  local root="$1" tag="$2" entrypoint="$3"
  local user=0 workdir=/root
  case "$tag" in *:nonroot|*:debug-nonroot) user=65532 workdir=/home/nonroot ;; esac
  tar -C "$root" --numeric-owner -c . | $DOCKER import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
    --change "USER $user" --change "WORKDIR $workdir" \
    --change "ENTRYPOINT $entrypoint" - "$tag" >/dev/null
  rm -rf "$root"
}

build_distroless_python() {
  local tag="$1" root
  root="$(mktemp -d /tmp/todo-distroless.XXXXXX)"
  distroless_root "$root" "${DISTROLESS_BASE[@]}" "${DISTROLESS_PYTHON[@]}"
  ln -s python3.11 "$root/usr/bin/python3"
  ln -s python3.11 "$root/usr/bin/python"
  distroless_import "$root" "$tag" '["/usr/bin/python3.11"]'
  $DOCKER run --rm "$tag" -c 'import ssl, sqlite3, lzma, bz2, ctypes, uuid, zoneinfo; print("python stand-in ok")'
}

build_distroless_node() {
  local tag="$1" root
  require_same_version "$tag" "v20" "$(node --version | cut -d. -f1)"
  root="$(mktemp -d /tmp/todo-distroless.XXXXXX)"
  distroless_root "$root" "${DISTROLESS_BASE[@]}"
  install -D -m 0755 "$(command -v node)" "$root/nodejs/bin/node"
  distroless_import "$root" "$tag" '["/nodejs/bin/node"]'
  $DOCKER run --rm "$tag" -e 'require("node:crypto").randomUUID(); console.log("node stand-in ok", process.version)'
}

# postgres_dockerfile, postgres_entrypoint: the stand-in's recipe (its hash labels the stand-in,
# so a changed recipe rebuilds it).
postgres_entrypoint() {
  cat <<'EOF'
#!/bin/bash
# Stand-in entrypoint: the parts of the official one docker-compose.yml relies on.
set -euo pipefail
# Like the official image: POSTGRES_PASSWORD_FILE names a file holding the password.
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then POSTGRES_PASSWORD="$(<"$POSTGRES_PASSWORD_FILE")"; fi
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE must be set}"
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --encoding=UTF8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # Initialise on the socket only, so nothing reports ready before the real start.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /var/run/postgresql" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -h /var/run/postgresql -U "$POSTGRES_USER" -d postgres -v ON_ERROR_STOP=1 -q \
      -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$@"
EOF
}

postgres_dockerfile() {
  cat <<'EOF'
ARG BASE
FROM $BASE
ARG PG_MAJOR
# The official image's postgres user and group are 999, which pods' securityContexts name.
RUN groupadd -r -g 999 postgres && useradd -r -g postgres -u 999 -d /var/lib/postgresql -s /bin/bash postgres \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "postgresql-$PG_MAJOR" >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data \
 && install -d -o postgres -g postgres -m 2775 /var/run/postgresql
COPY docker-entrypoint.sh /usr/local/bin/
ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:$PATH PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres", "-c", "listen_addresses=*"]
EOF
}

build_postgres() {
  local tag="$1" major debian_tag ctx
  major="${tag#postgres:}"; major="${major%%[.-]*}"
  debian_tag="$(plain_debian)"
  ctx="$(mktemp -d /tmp/todo-postgres-standin.XXXXXX)"
  postgres_entrypoint >"$ctx/docker-entrypoint.sh"
  chmod 0755 "$ctx/docker-entrypoint.sh"
  postgres_dockerfile | $DOCKER build -q -t "$tag" --label "$CA_LABEL=$(standin_key "$tag")" --build-arg BASE="$debian_tag" --build-arg PG_MAJOR="$major" -f - "$ctx" >/dev/null
  rm -rf "$ctx"
}

# ensure_image TAG: present (and for a builder stand-in, trusting this machine's current CA
# bundle), pulled, or a stand-in is built.
ensure_image() {
  local tag="$1" want have old=""
  want="$(standin_key "$tag")"
  if have="$($DOCKER image inspect -f "{{with .Config.Labels}}{{index . \"$CA_LABEL\"}}{{end}}|{{len .RepoDigests}}|{{.Id}}" "$tag" 2>/dev/null)"; then
    if [ -z "$want" ]; then echo "base image $tag: present"; return 0; fi
    case "$have" in
      "$want|"*) echo "base image $tag: present (a current CI stand-in, $want)"; return 0 ;;
      "|0|"*) echo "base image $tag: an unlabelled CI stand-in from before $CA_LABEL: replacing it" ;;
      "|"*) echo "base image $tag: present"; return 0 ;;
      *) echo "base image $tag: a CI stand-in for another CA bundle or recipe: replacing it" ;;
    esac
    old="${have##*|}"
  fi
  if timeout 60 $DOCKER pull -q "$tag" >/dev/null 2>&1; then echo "base image $tag: pulled"; return 0; fi
  step "base image $tag cannot be pulled: building a CI stand-in from Debian packages"
  case "$tag" in
    debian:*-slim) build_debian_slim "$tag" ;;
    node:*-bookworm-slim) build_node_slim "$tag" ;;
    ghcr.io/astral-sh/uv:*) build_uv "$tag" ;;
    gcr.io/distroless/python3-debian12:*) build_distroless_python "$tag" ;;
    gcr.io/distroless/nodejs20-debian12:*) build_distroless_node "$tag" ;;
    postgres:*-bookworm) build_postgres "$tag" ;;
    *) echo "no stand-in recipe for $tag: add one to $0" >&2; return 1 ;;
  esac
  echo "base image $tag: stand-in built ($($DOCKER image inspect -f '{{.Size}}' "$tag" | numfmt --to=si)B)"
  # Drop the replaced stand-in, unless another image still builds on it.
  if [ -n "$old" ]; then $DOCKER rmi "$old" >/dev/null 2>&1 || true; fi
}

export DOCKER_BUILDKIT=1
if [ $# -eq 0 ]; then mapfile -t images < <(repo_base_images | sort -u); else images=("$@"); fi
for image in "${images[@]}"; do ensure_image "$image"; done
