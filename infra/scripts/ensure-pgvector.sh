#!/usr/bin/env bash
# Makes `CREATE EXTENSION vector` work on a Debian/Ubuntu machine with a local PostgreSQL.
# Idempotent and fast when pgvector is already installed. Debian bookworm does not package
# pgvector, so we build Debian trixie's *source* package against postgresql-server-dev-NN.
#
# Usage: infra/scripts/ensure-pgvector.sh            (DATABASE_URL or local postgres@127.0.0.1:5432)
# Env:   PG_MAJOR (auto-detected), PGVECTOR_SOURCE_SUITE (default trixie), DATABASE_URL
set -euo pipefail

log() { printf '[ensure-pgvector] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
SUITE="${PGVECTOR_SOURCE_SUITE:-trixie}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

command -v psql >/dev/null || die "psql not found: install the PostgreSQL client (apt-get install postgresql-client)."

# 0.8 or newer: filtered search needs its iterative index scans (/readyz and doctor refuse older).
extension_available() {
  psql "$DATABASE_URL" -XAtqc "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'
    AND string_to_array(split_part(default_version, '-', 1), '.')::int[] >= '{0,8,0}'" 2>/dev/null | grep -q 1
}

psql "$DATABASE_URL" -XAtqc 'SELECT 1' >/dev/null 2>&1 ||
  die "cannot connect to PostgreSQL at $DATABASE_URL: start it (pg_ctlcluster --skip-systemctl-redirect <major> main start) or set DATABASE_URL."

if extension_available; then
  log "pgvector is available ($(psql "$DATABASE_URL" -XAtqc "SELECT default_version FROM pg_available_extensions WHERE name='vector'"))."
  exit 0
fi

PG_MAJOR="${PG_MAJOR:-$(psql "$DATABASE_URL" -XAtqc 'SHOW server_version_num' | cut -c1-2)}"
[ -n "$PG_MAJOR" ] || die "could not detect the PostgreSQL major version; set PG_MAJOR."
older="$(psql "$DATABASE_URL" -XAtqc "SELECT default_version FROM pg_available_extensions WHERE name='vector'" 2>/dev/null || true)"
log "pgvector ${older:+$older is older than 0.8}${older:-missing}: building Debian $SUITE's source package against postgresql-server-dev-$PG_MAJOR."

# The server must be local: the build installs into this machine's PostgreSQL lib directory.
command -v apt-get >/dev/null || die "apt-get not found: install pgvector with your OS packages (https://github.com/pgvector/pgvector#installation)."

# A packaged pgvector (PGDG, Ubuntu universe, newer Debian) is the quickest way when the sources have one.
if apt-cache show "postgresql-$PG_MAJOR-pgvector" >/dev/null 2>&1; then
  log "installing the packaged postgresql-$PG_MAJOR-pgvector"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "postgresql-$PG_MAJOR-pgvector" >/dev/null
  extension_available && { log "pgvector installed from packages."; exit 0; }
fi

# The Debian mirror this machine already uses: one-line (`deb [opts] URL suite …`) or deb822 (`URIs: URL`).
MIRROR="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  sed -E 's/\[[^]]*\]//' | awk '$1 == "deb" || $1 == "URIs:" { print $2 }' | grep -E '/debian/?$' | head -n1 || true)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/sources.list.d"
echo "deb-src $MIRROR $SUITE main" >"$WORK/apt/sources.list"
# A private apt configuration: the machine's own sources stay untouched.
APT_PRIVATE=(-o "Dir::Etc::SourceList=$WORK/apt/sources.list" -o "Dir::Etc::SourceParts=$WORK/apt/sources.list.d"
  -o "Dir::State::Lists=$WORK/apt/lists" -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")

if ! dpkg -s "postgresql-server-dev-$PG_MAJOR" >/dev/null 2>&1 || ! command -v make >/dev/null || ! command -v gcc >/dev/null; then
  log "installing build dependencies (postgresql-server-dev-$PG_MAJOR, build-essential)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "postgresql-server-dev-$PG_MAJOR" build-essential dpkg-dev >/dev/null
fi
command -v dpkg-source >/dev/null || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dpkg-dev >/dev/null; }

(
  cd "$WORK"
  apt-get "${APT_PRIVATE[@]}" update -qq
  apt-get "${APT_PRIVATE[@]}" source --download-only pgvector >/dev/null
  dpkg-source --no-check -x ./pgvector_*.dsc src >/dev/null
  cd src
  make -s PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" OPTFLAGS="" >/dev/null
  $SUDO make -s PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" install >/dev/null
)

extension_available || die "pgvector was built and installed but PostgreSQL still does not list it: is $DATABASE_URL the local server (major $PG_MAJOR)?"
log "pgvector installed ($(psql "$DATABASE_URL" -XAtqc "SELECT default_version FROM pg_available_extensions WHERE name='vector'"))."
