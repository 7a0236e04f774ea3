import type { KernelEnum } from 'sharp';
import { PIL_RESAMPLE, type PilResample } from './preprocessor-config';

type SharpKernel = KernelEnum[keyof KernelEnum];

/**
 * Pillow filter → libvips kernel. libvips' `cubic` is Catmull-Rom, the same a = -0.5 cubic Pillow
 * calls BICUBIC, and like Pillow it widens the kernel by the scale factor when shrinking
 * (antialiasing), so the two agree to within 8-bit rounding.
 */
const KERNELS: Record<PilResample, SharpKernel> = {
  [PIL_RESAMPLE.NEAREST]: 'nearest',
  [PIL_RESAMPLE.LANCZOS]: 'lanczos3',
  [PIL_RESAMPLE.BILINEAR]: 'linear',
  [PIL_RESAMPLE.BICUBIC]: 'cubic',
};

export function sharpKernelFor(resample: PilResample): SharpKernel {
  return KERNELS[resample];
}
