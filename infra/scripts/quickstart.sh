#!/usr/bin/env bash
# The README's first Quick-start command: from a fresh checkout to a demo catalog embedded end to end.
#   installs the npm dependencies (CPU build of onnxruntime-node), makes sure Redis and PostgreSQL are
#   running (or uses REDIS_URL / DATABASE_URL), installs pgvector if missing, fetches a small real
#   SigLIP export when the model hub is reachable (the dev model otherwise, see quickstart-model.sh),
#   then `vectorizer demo`: migrate, write a demo catalog of local images, ingest, run the workers
#   until the queue is drained, and print the status table and how to start the search page.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"

command -v node >/dev/null || { echo "Node.js 20+ is required (https://nodejs.org or apt-get install nodejs)." >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  { echo "Node.js 20+ is required; found $(node --version)." >&2; exit 1; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash infra/scripts/ensure-services.sh
bash infra/scripts/ensure-pgvector.sh
eval "$(bash infra/scripts/quickstart-model.sh)"
node bin/vectorizer.js demo "$@"
