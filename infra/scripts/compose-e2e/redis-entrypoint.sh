#!/bin/sh
# Entrypoint of the e2e's Redis stand-in: like the official image, it runs as `redis` and turns off
# protected mode (Debian's build keeps it on, which refuses other containers without a password).
set -eu
if [ "${1:-}" = redis-server ]; then
  shift
  set -- redis-server --protected-mode no "$@"
fi
[ "$(id -u)" = 0 ] && exec setpriv --reuid=redis --regid=redis --init-groups "$@"
exec "$@"
