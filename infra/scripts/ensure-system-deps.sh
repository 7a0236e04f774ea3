#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only those that are missing (fast when all are):
#   python3-pil, python3-numpy  reference implementation for the preprocessing parity tests
#   docker-compose              validates docker-compose.yml without a Docker engine
#   chromium                    the web page's end-to-end browser test
#   redis-server, redis-tools   durability tests start their own redis-server with AOF
#   postgresql-client           psql / pg_isready used by the scripts
#   prometheus                  promtool checks and unit-tests the alerting rules; the monitoring test runs prometheus itself
set -euo pipefail
export NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=l
log() { printf '[ensure-system-deps] %s\n' "$*" >&2; }
PACKAGES=(python3-pil python3-numpy docker-compose chromium redis-server redis-tools postgresql-client prometheus)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged Prometheus as a service on :9090; the tests run their own on free ports.
if printf '%s\n' "${missing[@]}" | grep -qx prometheus && command -v systemctl >/dev/null &&
  systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
log "installed"
