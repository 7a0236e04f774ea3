import { execFile } from 'node:child_process';
import { VectorizerError } from '@vectorizer/errors';
import { filterVisibleGpus, hidesAllGpus } from './cuda-visible-devices';
import type { GpuInfo } from './gpu';

export interface DiscoverGpusOptions {
  /** NVIDIA_SMI_PATH; a bare name is looked up on PATH. */
  nvidiaSmiPath?: string;
  /** CUDA_VISIBLE_DEVICES as the operator set it (undefined = unset). */
  cudaVisibleDevices?: string;
  timeoutMs?: number;
}

/** nvidia-smi exists but failed (driver not loaded, GPU fallen off the bus, …). */
export class GpuDiscoveryError extends VectorizerError {
  constructor(message: string, cause?: unknown) {
    super('GPU_DISCOVERY_FAILED', message, {
      hint: 'run `nvidia-smi` to see the driver error; to run on CPU instead set CUDA_VISIBLE_DEVICES=-1',
      cause,
    });
  }
}

const QUERY = ['--query-gpu=index,uuid,name,memory.total,memory.free', '--format=csv,noheader,nounits'];

/**
 * Lists the GPUs this process may use. No nvidia-smi on the machine means no NVIDIA GPU: an empty
 * list, and the caller plans a CPU worker. A present but failing nvidia-smi is an error, because
 * silently falling back to CPU on a GPU host would run far slower without anyone noticing.
 */
export async function discoverGpus(options: DiscoverGpusOptions = {}): Promise<GpuInfo[]> {
  if (hidesAllGpus(options.cudaVisibleDevices)) return [];
  const command = options.nvidiaSmiPath ?? 'nvidia-smi';
  const output = await new Promise<string | undefined>((resolve, reject) => {
    execFile(command, QUERY, { timeout: options.timeoutMs ?? 10_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return resolve(undefined);
      const detail = (stderr || stdout || error.message).trim().split('\n')[0];
      reject(new GpuDiscoveryError(`${command} failed: ${detail}`, error));
    });
  });
  if (output === undefined) return [];
  return filterVisibleGpus(parseNvidiaSmiCsv(output), options.cudaVisibleDevices);
}

/** Parses `index, uuid, name, memory.total, memory.free` lines (csv,noheader,nounits). */
export function parseNvidiaSmiCsv(output: string): GpuInfo[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const fields = line.split(',').map((field) => field.trim());
      // GPU names never contain commas today; if one ever does, the numbers are still the last two.
      const [index, uuid] = fields;
      const memoryTotalMb = Number(fields[fields.length - 2]);
      const memoryFreeMb = Number(fields[fields.length - 1]);
      const name = fields.slice(2, -2).join(',');
      if (
        fields.length < 5 ||
        !/^\d+$/.test(index) ||
        !Number.isFinite(memoryTotalMb) ||
        !Number.isFinite(memoryFreeMb)
      ) {
        throw new GpuDiscoveryError(`unexpected nvidia-smi output line: "${line}"`);
      }
      return { index: Number(index), uuid, name, memoryTotalMb, memoryFreeMb };
    });
}
