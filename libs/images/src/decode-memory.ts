import type { ImageHeader } from './jpeg-header';

const MiB = 1024 * 1024;

/**
 * libvips' per-decode working set when it streams: the loader's scanline buffers and the
 * resampler's line caches (a few dozen rows of the source at up to 8 bytes a sample), thread
 * buffers and sharp's own bookkeeping. Measured well under this on 40 MP images.
 */
const STREAMING_BASE_BYTES = 24 * MiB;
const STREAMED_ROWS = 128;

/** Formats whose libvips loader decodes the whole frame into memory before the first row leaves. */
const WHOLE_FRAME_FORMATS = new Set(['webp', 'gif', 'heif', 'avif', 'tiff']);

export interface DecodeMemoryTarget {
  width: number;
  height: number;
}

/**
 * Worst-case bytes that decoding and resizing this image holds at its peak, from its header alone
 * (readHeader, which the decompression-bomb check already reads). Meant for a memory
 * budget across the images a worker decodes at once. With W × H source pixels and C channels:
 *
 *   24 MiB + 128 rows × W × C × 8                          streaming decode and resize (every image)
 *   + W × H × 3                 if it has alpha            alpha dropped at full size (see decode.ts)
 *   + W × H × C × 2             progressive JPEG           libjpeg keeps every DCT coefficient
 *   + W × H × (C + 3)           CMYK                       measured, see below
 *   + W × H × C × bytes/sample  interlaced PNG, WebP, GIF, HEIF/AVIF, TIFF: the whole decoded frame
 *   + target W × H × 3                                     the resized RGB (the batch holds its float32 form)
 *
 * Baseline RGB/grey JPEGs and non-interlaced PNGs without alpha stream through libvips and
 * cost the first line only. libvips' operation cache (sharp.cache, 50 MB by default) is
 * per process and not counted here.
 */
export function decodeMemoryEstimate(metadata: ImageHeader, target: DecodeMemoryTarget): number {
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  const pixels = width * height;
  const channels = metadata.channels ?? 4;
  const bytesPerSample = bytesPerSampleOf(metadata.depth);
  let bytes = STREAMING_BASE_BYTES + STREAMED_ROWS * width * channels * 8;
  if (metadata.hasAlpha && metadata.space !== 'cmyk') bytes += pixels * 3;
  if (metadata.format === 'jpeg' && metadata.isProgressive) bytes += pixels * channels * 2;
  // CMYK costs more than the resize-first path suggests (docs/performance.md), so it is counted as
  // whole CMYK + RGB frames.
  if (metadata.space === 'cmyk') bytes += pixels * (channels + 3);
  if ((metadata.format === 'png' && metadata.isProgressive) || WHOLE_FRAME_FORMATS.has(metadata.format ?? '')) {
    bytes += pixels * channels * bytesPerSample;
  }
  return bytes + target.width * target.height * 3;
}

function bytesPerSampleOf(depth: ImageHeader['depth']): number {
  switch (depth) {
    case 'ushort':
    case 'short':
      return 2;
    case 'uint':
    case 'int':
    case 'float':
      return 4;
    case 'double':
    case 'complex':
      return 8;
    case 'dpcomplex':
      return 16;
    default:
      return 1;
  }
}
