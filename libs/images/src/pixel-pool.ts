/**
 * Reuses the model-input arrays (1.8 MB each at 384 px). A fresh large Float32Array costs more than
 * filling it (the pages are zeroed and faulted in, and the external memory drives garbage
 * collections): measured 1–6 ms against 0.65 ms to fill a reused one. Only an owner that will
 * never read an array again may recycle it (the worker's batch step, once the batch is packed).
 */
const MAX_POOLED_BYTES = 64 * 1024 * 1024;
const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/** A float32 array of `length` values, recycled when one is free; its contents are arbitrary. */
export function takePixelBuffer(length: number): Float32Array {
  const reused = free.get(length)?.pop();
  if (!reused) return new Float32Array(length);
  pooledBytes -= reused.byteLength;
  return reused;
}

/** Hands arrays back for reuse; the caller must hold no other reference it will read. Bounded in bytes. */
export function recyclePixels(arrays: readonly Float32Array[]): void {
  for (const array of arrays) {
    // A detached (transferred) or view-on-a-larger-buffer array cannot be reused safely.
    if (array.byteLength === 0 || array.byteOffset !== 0 || array.buffer.byteLength !== array.byteLength) continue;
    if (pooledBytes + array.byteLength > MAX_POOLED_BYTES) return;
    const list = free.get(array.length) ?? [];
    if (list.includes(array)) continue;
    list.push(array);
    free.set(array.length, list);
    pooledBytes += array.byteLength;
  }
}
