#!/usr/bin/env bash
# Makes the base images the compose stack names, from the Debian archive, inside the e2e's private
# Docker engine (DOCKER_HOST): Docker Hub is out of reach on the machines this runs on.
#   node:20-bookworm-slim         debootstrap minbase + this machine's Node 20 and npm
#   redis:7.4-bookworm            debootstrap + Debian's redis-server (7.0: AOF, noeviction, redis-cli)
#   pgvector/pgvector:…-pgNN      debootstrap + Debian's PostgreSQL + the pgvector that
#                                 infra/scripts/ensure-pgvector.sh built on this machine
# Each is a stand-in, labelled org.vectorizer.e2e.stand-in; one that already carries the label is
# reused (the engine's data root persists between runs), so only the first run pays for debootstrap.
# A tag without the label (a real image pulled there) is never replaced.
#
# Usage: base-images.sh NODE_IMAGE REDIS_IMAGE POSTGRES_IMAGE   (needs root, debootstrap, DOCKER_HOST)
set -euo pipefail
log() { printf '[compose-e2e] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ $# -eq 3 ] || die "usage: $0 NODE_IMAGE REDIS_IMAGE POSTGRES_IMAGE"
NODE_IMAGE="$1" REDIS_IMAGE="$2" POSTGRES_IMAGE="$3"
HERE="$(cd "$(dirname "$0")" && pwd)"
DOCKER="${DOCKER:-/usr/bin/docker}"
SUITE=bookworm
LABEL=org.vectorizer.e2e.stand-in
MIRROR="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  sed -E 's/\[[^]]*\]//' | awk '$1 == "deb" || $1 == "URIs:" { print $2 }' | grep -E '/debian/?$' | head -n1 || true)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
CACHE="${E2E_STATE_DIR:?}/debootstrap-cache"

# "ours" when TAG is a stand-in made here, "foreign" when it is another image, "" when absent.
image_state() {
  local label
  label="$("$DOCKER" image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null)" || return 0
  if [ "$label" = "true" ]; then echo ours; else echo foreign; fi
}

need=()
for image in "$NODE_IMAGE" "$REDIS_IMAGE" "$POSTGRES_IMAGE"; do
  case "$(image_state "$image")" in
    ours) log "base image $image: the stand-in made by an earlier run" ;;
    foreign) log "base image $image: present (not a stand-in), used as is" ;;
    *) need+=("$image") ;;
  esac
done
[ ${#need[@]} -gt 0 ] || exit 0
log "making base image stand-ins from Debian $SUITE ($MIRROR): ${need[*]}"

WORK="$(mktemp -d /var/tmp/vectorizer-e2e-rootfs.XXXXXX)"
cleanup() {
  for dir in "$WORK"/*/; do
    for mnt in proc dev/pts; do mountpoint -q "$dir$mnt" 2>/dev/null && umount "$dir$mnt"; done
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$CACHE"

# A minimal Debian, as the official slim images strip it: no docs, man pages, locales or apt lists.
debootstrap --variant=minbase --cache-dir="$CACHE" "$SUITE" "$WORK/base" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
strip_rootfs() {
  rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/var/lib/apt/lists/* \
    "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb "$1"/var/log/*.log
  find "$1"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
}

# `docker import` of a rootfs, tagged and labelled; CHANGES are Dockerfile instructions.
import_rootfs() {
  local rootfs="$1" tag="$2"
  shift 2
  local changes=(--change "LABEL $LABEL=true")
  for change in "$@"; do changes+=(--change "$change"); done
  tar -C "$rootfs" --numeric-owner -c . | "$DOCKER" import "${changes[@]}" - "$tag" >/dev/null
  log "made $tag ($("$DOCKER" image inspect -f '{{ .Size }}' "$tag" | awk '{ printf "%d MB", $1 / 1e6 }'))"
}

if [[ " ${need[*]} " == *" $NODE_IMAGE "* ]]; then
  node_bin="$(readlink -f "$(command -v node)")"
  npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
  node_version="$("$node_bin" --version)"
  [[ "$node_version" == v20.* ]] || die "this machine's Node is $node_version; the node:20 stand-in needs Node 20"
  cp -a "$WORK/base" "$WORK/node"
  install -m 0755 "$node_bin" "$WORK/node/usr/local/bin/node"
  mkdir -p "$WORK/node/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$WORK/node/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$WORK/node/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$WORK/node/usr/local/bin/npx"
  # The official image's user: the Dockerfile runs as `node` (uid 1000).
  chroot "$WORK/node" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home --shell /bin/bash node'
  chroot "$WORK/node" env -u NODE_EXTRA_CA_CERTS /usr/local/bin/node -e 'require("node:zlib")' || die "Node does not run in the Debian $SUITE rootfs"
  strip_rootfs "$WORK/node"
  import_rootfs "$WORK/node" "$NODE_IMAGE" "ENV NODE_VERSION=${node_version#v}" 'CMD ["node"]'
fi

if [[ " ${need[*]} " == *" $REDIS_IMAGE "* || " ${need[*]} " == *" $POSTGRES_IMAGE "* ]]; then
  pg_major="$(sed -nE 's/.*pgvector:.*-pg([0-9]+)$/\1/p' <<<"$POSTGRES_IMAGE")"
  # Debian bookworm ships one PostgreSQL major; the stand-in runs it whatever the tag says.
  debian_major=15
  [ "$pg_major" = "$debian_major" ] || log "note: $POSTGRES_IMAGE stands in with Debian's PostgreSQL $debian_major"
  vector_so="/usr/lib/postgresql/$debian_major/lib/vector.so"
  [ -f "$vector_so" ] || die "no pgvector build for PostgreSQL $debian_major on this machine: run infra/scripts/ensure-pgvector.sh"
  root="$WORK/services"
  cp -a "$WORK/base" "$root"
  # Install without starting anything and without a default cluster (the entrypoint makes its own).
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  mkdir -p "$root/etc/postgresql-common"
  echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.conf"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  chroot "$root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    redis-server redis-tools postgresql-$debian_major" >"$WORK/apt.log" 2>&1 ||
    { tail -n 20 "$WORK/apt.log" >&2; die "apt-get install in the services rootfs failed"; }
  umount "$root/proc"
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
  # pgvector as this machine's PostgreSQL has it (built by ensure-pgvector.sh): same Debian, same major.
  cp -a "$vector_so" "$root/usr/lib/postgresql/$debian_major/lib/"
  cp -a /usr/share/postgresql/"$debian_major"/extension/vector* "$root/usr/share/postgresql/$debian_major/extension/"
  if [ -d "/usr/lib/postgresql/$debian_major/lib/bitcode/vector" ]; then
    mkdir -p "$root/usr/lib/postgresql/$debian_major/lib/bitcode"
    cp -a "/usr/lib/postgresql/$debian_major/lib/bitcode/vector" "/usr/lib/postgresql/$debian_major/lib/bitcode/vector.index.bc" \
      "$root/usr/lib/postgresql/$debian_major/lib/bitcode/"
  fi
  install -m 0755 "$HERE/postgres-entrypoint.sh" "$root/usr/local/bin/postgres-entrypoint.sh"
  install -m 0755 "$HERE/redis-entrypoint.sh" "$root/usr/local/bin/redis-entrypoint.sh"
  mkdir -p "$root/data" "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
  chroot "$root" chown redis:redis /data
  chroot "$root" chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql
  strip_rootfs "$root"
  path="/usr/lib/postgresql/$debian_major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  # The same rootfs twice: Docker stores the identical layer once.
  [[ " ${need[*]} " != *" $REDIS_IMAGE "* ]] ||
    import_rootfs "$root" "$REDIS_IMAGE" 'WORKDIR /data' 'ENTRYPOINT ["/usr/local/bin/redis-entrypoint.sh"]' \
      'CMD ["redis-server"]'
  [[ " ${need[*]} " != *" $POSTGRES_IMAGE "* ]] ||
    import_rootfs "$root" "$POSTGRES_IMAGE" "ENV PATH=$path PGDATA=/var/lib/postgresql/data" \
      'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]' 'CMD ["postgres"]'
fi
