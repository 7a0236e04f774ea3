#!/usr/bin/env bash
# The quick start's model: a small real SigLIP export from the model hub when it is reachable, so
# search means something; the generated dev model (random weights) otherwise, said in one line.
# Prints `export MODEL_ID=… MODEL_DTYPE=…` on stdout for the caller to eval (nothing for the dev
# model); messages go to stderr.
#   QUICKSTART_MODEL        model id to try (default Xenova/siglip-base-patch16-224); empty: skip
#   QUICKSTART_MODEL_DTYPE  its dtype (default q8: the quantized export, about a quarter of fp32)
#   HF_ENDPOINT / HF_HOME   the hub (or a mirror) and the model cache, as for `vectorizer model download`
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -n "${MODEL_ID:-}${MODEL_DIR:-}" ]; then
  echo "model: ${MODEL_DIR:-$MODEL_ID} (MODEL_DIR / MODEL_ID already set)" >&2
  exit 0
fi
model="${QUICKSTART_MODEL-Xenova/siglip-base-patch16-224}"
dtype="${QUICKSTART_MODEL_DTYPE:-q8}"
if [ -z "$model" ]; then
  echo "model: the generated dev model (QUICKSTART_MODEL is empty): random weights, search results mean nothing" >&2
  exit 0
fi

mkdir -p tmp
log="tmp/quickstart-model.log"
echo "model: fetching $model ($dtype) from ${HF_ENDPOINT:-https://huggingface.co} …" >&2
if LOG_FORMAT=json node bin/vectorizer.js model fetch "$model" --dtype "$dtype" >"$log" 2>&1; then
  echo "model: $model ($dtype) in the model cache" >&2
  printf 'export MODEL_ID=%q MODEL_DTYPE=%q\n' "$model" "$dtype"
else
  echo "model: $model could not be fetched (offline? see $log): using the generated dev model instead — random weights, search results mean nothing" >&2
fi
