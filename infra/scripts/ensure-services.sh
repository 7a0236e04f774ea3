#!/usr/bin/env bash
# Starts the local Redis and PostgreSQL this project's tests and quick start use, if they are down.
# Respects REDIS_URL / DATABASE_URL pointing elsewhere (then it only checks they answer).
set -euo pipefail
log() { printf '[ensure-services] %s\n' "$*" >&2; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
  log "installing $* from the OS packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v redis-cli >/dev/null || apt_install redis-server redis-tools
command -v pg_isready >/dev/null || apt_install postgresql-client

REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  log "Redis answers at $REDIS_URL"
elif [[ "$REDIS_URL" =~ ^redis://(127\.0\.0\.1|localhost)(:6379)?/?$ ]]; then
  log "starting a local redis-server on 127.0.0.1:6379"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli ping >/dev/null || { log "ERROR: redis-server did not start"; exit 1; }
else
  log "ERROR: Redis does not answer at $REDIS_URL"; exit 1
fi

if pg_isready -d "$DATABASE_URL" -q 2>/dev/null; then
  log "PostgreSQL answers at $DATABASE_URL"
else
  major="$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n1)"
  if [ -z "$major" ] && [[ "$DATABASE_URL" =~ @(127\.0\.0\.1|localhost)(:5432)?/ ]]; then
    apt_install postgresql
    major="$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n1)"
    # Local development only: trust local TCP connections, as the default DATABASE_URL has no password.
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "/etc/postgresql/$major/main/pg_hba.conf"
  fi
  [ -n "$major" ] || { log "ERROR: PostgreSQL is not installed (apt-get install postgresql) and $DATABASE_URL does not answer"; exit 1; }
  log "starting the local PostgreSQL $major cluster"
  pg_ctlcluster --skip-systemctl-redirect "$major" main start
  for _ in $(seq 1 100); do pg_isready -d "$DATABASE_URL" -q && break; sleep 0.1; done
  pg_isready -d "$DATABASE_URL" -q || { log "ERROR: PostgreSQL did not start"; exit 1; }
fi
