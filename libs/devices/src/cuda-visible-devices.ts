import type { GpuInfo } from './gpu';

/**
 * Applies CUDA_VISIBLE_DEVICES the way the CUDA runtime does: a comma-separated list of indices or
 * GPU UUIDs (a unique UUID prefix is enough), in the listed order; the list ends at the first entry
 * that matches no GPU; "" or "-1" hides every GPU. Unset (undefined) keeps all of them.
 */
export function filterVisibleGpus(gpus: readonly GpuInfo[], cudaVisibleDevices: string | undefined): GpuInfo[] {
  if (cudaVisibleDevices === undefined) return [...gpus];
  const entries = cudaVisibleDevices.split(',').map((entry) => entry.trim());
  const visible: GpuInfo[] = [];
  for (const entry of entries) {
    const gpu = matchGpu(gpus, entry);
    if (!gpu) break;
    if (!visible.includes(gpu)) visible.push(gpu);
  }
  return visible;
}

/** True when CUDA_VISIBLE_DEVICES hides every GPU, so asking nvidia-smi is pointless. */
export function hidesAllGpus(cudaVisibleDevices: string | undefined): boolean {
  if (cudaVisibleDevices === undefined) return false;
  const first = cudaVisibleDevices.split(',')[0].trim();
  return first === '' || first === '-1';
}

function matchGpu(gpus: readonly GpuInfo[], entry: string): GpuInfo | undefined {
  if (/^\d+$/.test(entry)) return gpus.find((gpu) => gpu.index === Number(entry));
  if (/^GPU-/i.test(entry)) {
    const matches = gpus.filter((gpu) => gpu.uuid.toLowerCase().startsWith(entry.toLowerCase()));
    return matches.length === 1 ? matches[0] : undefined;
  }
  return undefined;
}
