#!/bin/sh
# Entrypoint of the e2e's PostgreSQL stand-in, after the official image's contract: POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB make the first cluster in PGDATA; password auth over TCP.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}" "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    # A private socket only while the database is created: pg_isready (the healthcheck) stays red.
    mkdir -p /tmp/pg-init
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp/pg-init" -w start >/dev/null
    psql -v ON_ERROR_STOP=1 -h /tmp/pg-init -U "$POSTGRES_USER" -d postgres -qc "CREATE DATABASE \"$POSTGRES_DB\""
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
fi
[ "${1:-}" = postgres ] || exec "$@"
shift
# `docker stop` sends SIGTERM, which postgres takes as a smart shutdown that waits for every client
# (the workers' pools) until Docker kills it; the official image stops with SIGINT (fast) instead.
# docker import cannot set STOPSIGNAL, so the entrypoint translates.
postgres -D "$PGDATA" -c listen_addresses='*' "$@" &
pid=$!
trap 'kill -INT "$pid"' TERM INT
set +e
wait "$pid"
status=$?
# A trapped signal ends the first wait while postgres is still shutting down.
if kill -0 "$pid" 2>/dev/null; then
  wait "$pid"
  status=$?
fi
exit "$status"
