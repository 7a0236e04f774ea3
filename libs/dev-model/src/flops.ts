import { VisionDims, numPatches } from './vision-tower';

/**
 * Floating-point operations for one image through the vision tower (2 per multiply-add; matrix
 * products only: norms, softmax and GELU are a rounding error). For B/16@224 this is ≈ 35 GFLOP.
 */
export function visionFlopsPerImage(dims: VisionDims): number {
  const n = numPatches(dims);
  const c = dims.hiddenSize;
  const mlpMacs = (tokens: number) => 2 * tokens * c * dims.intermediateSize;
  const patchEmbedding = n * c * dims.numChannels * dims.patchSize ** 2;
  const encoderLayer = 4 * n * c * c /* q, k, v, out */ + 2 * n * n * c /* QKᵀ, AV */ + mlpMacs(n);
  const poolingHead = 2 * c * c /* probe q, out */ + 2 * n * c * c /* k, v */ + 2 * n * c + mlpMacs(1);
  return 2 * (patchEmbedding + dims.numLayers * encoderLayer + poolingHead);
}
