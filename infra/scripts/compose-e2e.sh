#!/usr/bin/env bash
# The compose stack, run for real (infra/README.md, "Compose end-to-end test"):
#   1. starts Debian's docker.io engine itself, inside a network namespace of its own (only loopback:
#      nothing collides with this machine's Redis, Postgres or port 3000; no packet leaves it),
#   2. makes the base images it cannot pull (compose-e2e/base-images.sh; cached between runs),
#   3. builds the `cpu` image (npm is the one way out, through a CONNECT proxy that reaches only the
#      registry; the machine's CA bundle goes to npm as a build secret, never into the image),
#   4. runs the `workers-cpu` profile and waits for it to be healthy,
#   5. runs `vectorizer demo` in the cli container and SIGKILLs the worker container's worker process
#      in the middle of it, then a text search through the published API port,
#   6. ingests a second catalog and stops Postgres for 20 s while it is being embedded,
#   7. checks every product is embedded with 0 dead letters, then removes everything it started.
# Needs root (or sudo). Exit 0: passed; 1: failed; 3: cannot run here (no engine), said loudly.
# Env: E2E_STATE_DIR (engine data root + debootstrap cache, default /var/lib/vectorizer-e2e),
#      E2E_PRODUCTS (demo size, default 600), E2E_PG_OUTAGE_S (default 20).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null && sudo -n true 2>/dev/null || {
    printf '\n!!!!! SKIP compose e2e: needs root (or password-less sudo) to start a Docker engine !!!!!\n\n'
    exit 3
  }
  exec sudo -E bash "$0" "$@"
fi

export E2E_STATE_DIR="${E2E_STATE_DIR:-/var/lib/vectorizer-e2e}"
PRODUCTS="${E2E_PRODUCTS:-600}"
PG_OUTAGE_S="${E2E_PG_OUTAGE_S:-20}"
NS="vectorizer-e2e-$$"
RUN_DIR="/run/vectorizer-e2e-$$"
DOCKER=/usr/bin/docker # Debian's client: the one with BuildKit built in (20.10)
export DOCKER_HOST="unix://$RUN_DIR/docker.sock" DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1
export COMPOSE_PROJECT_NAME=vectorizer-e2e
export POSTGRES_PASSWORD="e2e$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export DASHBOARD_PASSWORD="e2e$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
# No model can be downloaded here: the stack runs the dev model, which production refuses unless asked.
export ALLOW_DEV_MODEL=true MODEL_ID='' IMAGE_FILE_ROOT=/app/tmp/demo LOG_LEVEL=info
# An empty --env-file: a developer's .env must not change what is tested.
COMPOSE=(docker-compose --env-file infra/scripts/compose-e2e/empty.env -f docker-compose.yml -f infra/scripts/compose-e2e/compose.e2e.yml
  --profile workers-cpu)
CA_BUNDLE="${E2E_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

T0=$(date +%s)
log() { printf '[compose-e2e +%3ds] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
skip() {
  printf '\n!!!!! SKIP compose e2e: %s !!!!!\n\n' "$*"
  exit 3
}
fail() {
  log "FAILED: $*"
  exit 1
}
# nsenter, not `ip netns exec`: that one also remounts /sys, which hides the cgroups from dockerd.
in_ns() { nsenter --net="/run/netns/$NS" -- "$@"; }

started=()
cleanup() {
  local status=$?
  set +e
  if $DOCKER version >/dev/null 2>&1; then
    if [ "$status" -ne 0 ]; then
      log "logs of the stack (last 40 lines per service):"
      "${COMPOSE[@]}" --profile tools logs --no-color --tail=40 >&2 2>&1
    fi
    "${COMPOSE[@]}" --profile tools down -v --remove-orphans -t 5 >/dev/null 2>&1
    # The previous run's image, untagged by this build: keep the data root from growing.
    $DOCKER image prune -f >/dev/null 2>&1
    $DOCKER builder prune -f --keep-storage 2gb >/dev/null 2>&1
  fi
  # dockerd by its pid file too: it stops its containerd and unmounts what it mounted.
  [ -s "$RUN_DIR/dockerd.pid" ] && started+=("$(cat "$RUN_DIR/dockerd.pid")")
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${started[@]}"; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null
  done
  ip netns del "$NS" 2>/dev/null
  rm -rf "$RUN_DIR"
  log "cleaned up (containers, volumes, networks, engine, namespace)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. the engine, in its own network namespace ------------------------------------------------
missing=()
for pkg in docker.io docker-compose debootstrap socat iproute2; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  # Debian starts a package's service on install; this test starts its own engine instead.
  made_policy=""
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1; }
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
    { [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d; skip "could not install ${missing[*]} with apt-get"; }
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
mkdir -p "$RUN_DIR" "$E2E_STATE_DIR"
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace (ip netns add)"
ip -n "$NS" link set lo up
# No iptables rules needed: nothing can be routed out of the namespace, and docker-proxy publishes the ports.
nsenter --net="/run/netns/$NS" -- /usr/sbin/dockerd --data-root "$E2E_STATE_DIR/docker" --exec-root "$RUN_DIR/exec" \
  --pidfile "$RUN_DIR/dockerd.pid" -H "$DOCKER_HOST" --iptables=false --ip-masq=false \
  >"$RUN_DIR/dockerd.log" 2>&1 &
started+=($!)
for _ in $(seq 1 60); do $DOCKER version >/dev/null 2>&1 && break; kill -0 "${started[0]}" 2>/dev/null || break; sleep 0.5; done
$DOCKER version >/dev/null 2>&1 || { tail -n 15 "$RUN_DIR/dockerd.log" >&2; skip "the Docker engine did not start (log above)"; }
log "engine $($DOCKER version -f '{{ .Server.Version }}') up in namespace $NS (data root $E2E_STATE_DIR/docker)"

# --- 2. base images ---------------------------------------------------------------------------------
image_of() { sed -nE "s#^ +image: ($1)\$#\\1#p" docker-compose.yml | head -n1; }
NODE_IMAGE="$(sed -nE 's/^ARG NODE_IMAGE=(.*)$/\1/p' infra/docker/Dockerfile)"
REDIS_IMAGE="$(image_of 'redis:[^ ]+')"
POSTGRES_IMAGE="$(image_of 'pgvector/pgvector:[^ ]+')"
bash infra/scripts/compose-e2e/base-images.sh "$NODE_IMAGE" "$REDIS_IMAGE" "$POSTGRES_IMAGE"

# --- 3. the cpu image -------------------------------------------------------------------------------
# From the build on, this is a heavy job (the build, then a stack embedding on every core): one heavy
# job at a time on this machine. Taken here, after the daemons started: they must not inherit it.
exec 9>/tmp/vectorizer-heavy.lock
log "waiting for /tmp/vectorizer-heavy.lock"
flock 9
registry="$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)"
registry_host="$(node -e 'console.log(new URL(process.argv[1]).hostname)' "$registry")"
node infra/scripts/compose-e2e/npm-connect-proxy.mjs "$RUN_DIR/npm-proxy.sock" "$registry_host" 2>>"$RUN_DIR/proxy.log" 9>&- &
started+=($!)
nsenter --net="/run/netns/$NS" -- socat TCP-LISTEN:3128,bind=127.0.0.1,reuseaddr,fork "UNIX-CONNECT:$RUN_DIR/npm-proxy.sock" 2>>"$RUN_DIR/proxy.log" 9>&- &
socat_pid=$!
started+=("$socat_pid")
# HTTPS_PROXY is one of Docker's predefined build args: in the RUN steps' environment, not in the image.
build_args=(--network host --build-arg HTTPS_PROXY=http://127.0.0.1:3128)
[ -s "$CA_BUNDLE" ] && build_args+=(--secret "id=npm_ca,src=$CA_BUNDLE")
log "building vectorizer:cpu"
t=$(date +%s)
$DOCKER build --progress=plain "${build_args[@]}" -f infra/docker/Dockerfile --target cpu -t vectorizer:cpu . \
  >"$RUN_DIR/build.log" 2>&1 || { tail -n 40 "$RUN_DIR/build.log" >&2; cat "$RUN_DIR/proxy.log" >&2; fail "docker build"; }
BUILD_S=$(($(date +%s) - t))
grep -E 'verify-install:' "$RUN_DIR/build.log" | tail -n1 | sed 's/^#[0-9]* [0-9.]* /  /' >&2 || true
# The tunnel closes with the build: from here on the namespace has loopback only.
kill "$socat_pid"
SIZE_MB=$($DOCKER image inspect -f '{{ .Size }}' vectorizer:cpu | awk '{ printf "%d", $1 / 1e6 }')
BASE_MB=$($DOCKER image inspect -f '{{ .Size }}' "$NODE_IMAGE" | awk '{ printf "%d", $1 / 1e6 }')
log "built vectorizer:cpu in ${BUILD_S}s: ${SIZE_MB} MB (base $NODE_IMAGE stand-in ${BASE_MB} MB)"
[ "$SIZE_MB" -le 450 ] || fail "vectorizer:cpu is ${SIZE_MB} MB, over the 450 MB budget"
# The secret stayed a secret: no file of the image holds a line of this machine's own CAs (the ones
# the TLS-intercepting proxy needs; public CAs may legitimately ship, e.g. in ioredis).
awk 'FNR == 3' /usr/local/share/ca-certificates/*.crt 2>/dev/null >"$RUN_DIR/local-ca.lines" || true
if [ -s "$RUN_DIR/local-ca.lines" ]; then
  leaked="$($DOCKER run --rm -v "$RUN_DIR/local-ca.lines:/tmp/local-ca.lines:ro" --entrypoint sh vectorizer:cpu -c \
    'grep -rlsF -f /tmp/local-ca.lines / --exclude-dir=proc --exclude-dir=sys --exclude-dir=tmp || true')"
  [ -z "$leaked" ] || fail "this machine's CA certificates landed in the image: $leaked"
  log "no local CA certificate in the image ($(wc -l <"$RUN_DIR/local-ca.lines") checked)"
fi

# --- 4. the stack -------------------------------------------------------------------------------------
api() { in_ns curl -fsS --max-time 10 "$@"; }
health_of() { $DOCKER inspect -f '{{ if .State.Health }}{{ .State.Health.Status }}{{ else }}{{ .State.Status }}{{ end }}' "$1" 2>/dev/null; }
cid() { "${COMPOSE[@]}" ps -q "$1"; }
wait_healthy() {
  local deadline=$(($(date +%s) + $2))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(health_of "$(cid "$1")")" = healthy ] && return 0
    sleep 1
  done
  fail "$1 not healthy within $2 s (state: $(health_of "$(cid "$1")"))"
}
cli() { "${COMPOSE[@]}" --profile tools run --rm -T cli "$@"; }
status_json() { cli status --json 2>/dev/null | tail -n1; }
# Straight from Postgres (fast enough to poll): rows of product_embeddings, all of the one model here.
embedded_rows() { $DOCKER exec "$(cid postgres)" psql -U vectorizer -d vectorizer -XAtc 'SELECT count(*) FROM product_embeddings' 2>/dev/null || echo 0; }
field() { node -e 'const r = JSON.parse(process.argv[1]); console.log(process.argv[2].split(".").reduce((o, k) => o?.[k], r))' "$1" "$2"; }

log "docker-compose --profile workers-cpu up -d"
t=$(date +%s)
"${COMPOSE[@]}" up -d --no-build >"$RUN_DIR/up.log" 2>&1 || { cat "$RUN_DIR/up.log" >&2; fail "compose up"; }
wait_healthy api 180
wait_healthy worker-cpu 300
HEALTHY_S=$(($(date +%s) - t))
log "api and worker-cpu healthy ${HEALTHY_S}s after up"
api http://127.0.0.1:3000/readyz >/dev/null || fail "/readyz is not ready"
code=$(in_ns curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3000/admin/queues)
[ "$code" = 401 ] || fail "Bull Board without credentials answered $code, not 401"
code=$(in_ns curl -s -o /dev/null -w '%{http_code}' -u "admin:$DASHBOARD_PASSWORD" http://127.0.0.1:3000/admin/queues)
[ "$code" = 200 ] || fail "Bull Board with the dashboard password answered $code, not 200"

# --- 5. demo, with a worker SIGKILLed in the middle --------------------------------------------------
log "vectorizer demo --products $PRODUCTS (cli container), SIGKILL of worker-cpu's worker mid-run"
cli demo --products "$PRODUCTS" >"$RUN_DIR/demo.log" 2>&1 &
demo_pid=$!
worker_cid="$(cid worker-cpu)"
worker_pid() { $DOCKER top "$worker_cid" -eo pid,args | awk '/dist\/worker\.js/ { print $1; exit }'; }
killed=""
# As soon as the first rows are written: the stack embeds about 100 products/s here.
for _ in $(seq 1 600); do
  embedded=$(embedded_rows)
  if [ "${embedded:-0}" -ge 1 ] 2>/dev/null; then
    pid="$(worker_pid)"
    [ -n "$pid" ] || fail "no worker process in the worker-cpu container"
    kill -9 "$pid"
    killed="$pid"
    log "SIGKILLed worker pid $pid (host pid) with $embedded/$PRODUCTS embedded"
    [ "$embedded" -lt "$PRODUCTS" ] || fail "the demo was done before the worker was killed (raise E2E_PRODUCTS)"
    break
  fi
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$killed" ] || fail "the demo finished before a worker could be killed mid-run (raise E2E_PRODUCTS)"
wait "$demo_pid" || { tail -n 30 "$RUN_DIR/demo.log" >&2; fail "vectorizer demo"; }
log "demo finished: $(grep -E '^ingested' "$RUN_DIR/demo.log" | head -n 1)"
# The supervisor restarted the killed worker and it is healthy again.
for _ in $(seq 1 60); do
  pid="$(worker_pid)"
  [ -n "$pid" ] && [ "$pid" != "$killed" ] && break
  sleep 1
done
[ -n "$pid" ] && [ "$pid" != "$killed" ] || fail "the supervisor did not restart the killed worker"
wait_healthy worker-cpu 120

hits=$(api "http://127.0.0.1:3000/api/search/text?q=red%20circle&k=5") || fail "text search"
count=$(node -e 'const r = JSON.parse(process.argv[1]); console.log((r.results ?? r.items ?? r).length)' "$hits")
[ "$count" -eq 5 ] || fail "text search returned $count hits, not 5: $hits"
log "text search through the published port: 5 hits"

# --- 6. a second catalog, embedded across a ${PG_OUTAGE_S}s Postgres outage ----------------------------
# New images (each demo image mirrored and inverted) under new product ids: real work for the worker.
"${COMPOSE[@]}" --profile tools run --rm -T --entrypoint node cli -e '
  const fs = require("node:fs"), sharp = require("sharp");
  const dir = "/app/tmp/demo", out = dir + "/outage";
  fs.mkdirSync(out, { recursive: true });
  const lines = fs.readFileSync(dir + "/catalog.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l));
  (async () => {
    const catalog = [];
    for (const [i, p] of lines.entries()) for (const [v, op] of [["flop", (s) => s.flop()], ["negate", (s) => s.negate()]]) {
      const file = `${out}/${i}-${v}.jpg`;
      await op(sharp(new URL(p.image_url).pathname)).jpeg().toFile(file);
      catalog.push(JSON.stringify({ ...p, id: `outage-${v}-${p.id}`, image_url: "file://" + file }));
    }
    fs.writeFileSync(dir + "/outage.jsonl", catalog.join("\n") + "\n");
  })();' >"$RUN_DIR/outage-catalog.log" 2>&1 || { cat "$RUN_DIR/outage-catalog.log" >&2; fail "writing the outage catalog"; }
OUTAGE_PRODUCTS=$((PRODUCTS * 2))
before=$(embedded_rows)
cli ingest /app/tmp/demo/outage.jsonl >"$RUN_DIR/ingest.log" 2>&1 || { cat "$RUN_DIR/ingest.log" >&2; fail "ingest"; }
at_stop=$(($(embedded_rows) - before))
"${COMPOSE[@]}" stop -t 10 postgres >/dev/null 2>&1
log "Postgres stopped with $at_stop/$OUTAGE_PRODUCTS of the second catalog embedded; down for ${PG_OUTAGE_S}s"
[ "$at_stop" -lt "$OUTAGE_PRODUCTS" ] || fail "the second catalog was embedded before Postgres stopped (raise E2E_PRODUCTS)"
sleep "$PG_OUTAGE_S"
code=$(in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://127.0.0.1:3000/readyz)
[ "$code" = 503 ] || fail "/readyz answered $code during the Postgres outage, not 503"
"${COMPOSE[@]}" start postgres >/dev/null 2>&1
wait_healthy postgres 60
log "Postgres back; waiting for the queue to drain"

# --- 7. nothing lost ------------------------------------------------------------------------------
TOTAL=$((PRODUCTS + OUTAGE_PRODUCTS))
deadline=$(($(date +%s) + 240))
while :; do
  report="$(status_json)"
  embedded=$(field "$report" embedded 2>/dev/null || echo 0)
  [ "$embedded" = "$TOTAL" ] && [ "$(field "$report" queue.waiting)" = 0 ] && [ "$(field "$report" queue.active)" = 0 ] && break
  [ "$(date +%s)" -lt "$deadline" ] || fail "not drained within 240 s after the outage: $report"
  sleep 3
done
[ "$(field "$report" products)" = "$TOTAL" ] || fail "expected $TOTAL products: $report"
[ "$(field "$report" missing)" = 0 ] || fail "products without an embedding: $report"
[ "$(field "$report" deadLetter)" = 0 ] || fail "dead letters: $report"
wait_healthy worker-cpu 120
wait_healthy api 120
restarts=$($DOCKER inspect -f '{{ .RestartCount }}' "$worker_cid")
log "PASSED: $TOTAL/$TOTAL products embedded, 0 dead letters (worker SIGKILLed mid-demo, Postgres down ${PG_OUTAGE_S}s); worker-cpu container restarts: $restarts"
log "numbers: build ${BUILD_S}s, vectorizer:cpu ${SIZE_MB} MB (stand-in base ${BASE_MB} MB), healthy ${HEALTHY_S}s after up, whole run $(($(date +%s) - T0))s"
