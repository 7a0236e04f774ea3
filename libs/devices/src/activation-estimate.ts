/** The parts of a ViT vision tower's config.json (`vision_config`) that size its activations. */
export interface VisionTowerShape {
  hiddenSize: number;
  intermediateSize: number;
  numAttentionHeads: number;
  imageSize: number;
  patchSize: number;
  /** 4 for fp32, 2 for fp16. */
  bytesPerElement: number;
}

/**
 * Peak activation memory one image adds to a batch, estimated for a ViT encoder run by ONNX
 * Runtime, which frees each layer's tensors once the next layer consumed them. So the peak is one
 * layer's working set, not the sum over layers:
 *   tokens = (imageSize / patchSize)²
 *   attention scores: heads × tokens² (scores + softmax output, ×2)
 *   hidden states: tokens × (hidden × 6 + intermediate × 2)  (residual, norm, q/k/v, attn out, MLP in/out)
 * × bytesPerElement, × 1.5 for the allocator's arena rounding. The input pixels (3 × size²) add little.
 * An estimate to size batches with, not a promise; GPU_MEMORY_RESERVE_MB and the 2× weights factor
 * absorb what it misses, and BATCH_SIZE overrides it when a measurement says otherwise.
 */
export function estimateActivationBytesPerImage(shape: VisionTowerShape): number {
  const tokens = (shape.imageSize / shape.patchSize) ** 2;
  const attention = 2 * shape.numAttentionHeads * tokens * tokens;
  const hidden = tokens * (shape.hiddenSize * 6 + shape.intermediateSize * 2);
  const pixels = 3 * shape.imageSize * shape.imageSize;
  return Math.ceil((attention + hidden + pixels) * shape.bytesPerElement * 1.5);
}
