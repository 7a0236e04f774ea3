#!/bin/sh
# Drops from a production node_modules what a linux/x64 runtime never loads, so the image carries
# only what runs (infra/README.md has the sizes). The image's verify-install.mjs then proves that
# everything the bundles load still loads.
#   onnxruntime-node: the darwin, win32 and linux/arm64 builds of the native binding
#   onnxruntime-web:  its WebAssembly/WebGPU bundles (transformers.js runs inference in Node through
#                     onnxruntime-node; its Node build inlines the little it takes from this package)
#   typescript:       an optional peer of valibot (Bull Board), types only
#   source maps, TypeScript declarations and package docs
set -eu
cd "${1:-node_modules}"
ort=onnxruntime-node/bin/napi-v6
[ -f "$ort/linux/x64/onnxruntime_binding.node" ] || { echo "slim-node-modules: no linux/x64 onnxruntime binding" >&2; exit 1; }
rm -rf "$ort/darwin" "$ort/win32" "$ort/linux/arm64" onnxruntime-web/dist typescript
find . \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete
find . -mindepth 2 -maxdepth 3 \( -iname 'README*' -o -iname 'CHANGELOG*' -o -iname 'HISTORY*' \) -type f -delete
