import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CUDA_INSTALL_HINT, cudaProviderLibrary } from '@vectorizer/embedder';
import { type CheckResult, fail, ok, warn } from './check-result';

export interface ExecutionProviderCheckOptions {
  /** VECTORIZER_DEVICE: auto | cpu | cuda | cuda:N | webgpu. */
  device: string;
  allowCpuFallback: boolean;
  nvidiaSmiPath: string;
  /** Overrides where the CUDA provider library is looked for (tests). */
  cudaLibrary?: string;
}

/** GPU names from `nvidia-smi -L`, or why it could not be asked. */
function listGpus(nvidiaSmiPath: string): { gpus: string[]; problem?: string } {
  const result = spawnSync(nvidiaSmiPath, ['-L'], { encoding: 'utf8', timeout: 10_000 });
  if (result.error) return { gpus: [], problem: `${nvidiaSmiPath} not runnable (${result.error.message})` };
  if (result.status !== 0)
    return {
      gpus: [],
      problem: `${nvidiaSmiPath} -L exited ${result.status}: ${result.stderr.trim() || result.stdout.trim()}`,
    };
  return { gpus: result.stdout.split('\n').filter((line) => line.startsWith('GPU ')) };
}

/**
 * Whether the workers can run where VECTORIZER_DEVICE says: the CUDA provider library shipped
 * with onnxruntime-node (absent from the default CPU-only install) and a GPU nvidia-smi can see.
 */
export function checkExecutionProvider(opts: ExecutionProviderCheckOptions): CheckResult {
  const name = 'execution provider';
  const device = opts.device;
  if (device === 'cpu') return ok(name, 'VECTORIZER_DEVICE=cpu: ONNX Runtime CPU provider');
  if (device === 'webgpu')
    return warn(name, 'VECTORIZER_DEVICE=webgpu is experimental in onnxruntime-node', 'Prefer cuda or cpu.');
  const library = opts.cudaLibrary ?? cudaProviderLibrary();
  const hasLibrary = existsSync(library);
  const { gpus, problem } = listGpus(opts.nvidiaSmiPath);
  const gpuText =
    gpus.length > 0
      ? `${gpus.length} GPU(s): ${gpus.join('; ')}`
      : `no GPU visible (${problem ?? 'nvidia-smi lists none'})`;
  const libraryText = hasLibrary
    ? `CUDA provider ${library} present`
    : `CUDA provider ${library} missing (CPU-only onnxruntime-node)`;
  const detail = `${libraryText}; ${gpuText}`;

  if (device === 'auto') {
    if (hasLibrary && gpus.length > 0) return ok(name, `auto → CUDA; ${detail}`);
    if (!hasLibrary && gpus.length > 0)
      return warn(name, `auto → CPU although GPUs are present; ${detail}`, CUDA_INSTALL_HINT);
    if (hasLibrary)
      return warn(
        name,
        `auto → CPU; ${detail}`,
        'Check the NVIDIA driver (`nvidia-smi`), or set VECTORIZER_DEVICE=cpu.',
      );
    return ok(name, `auto → CPU; ${detail}`);
  }
  // cuda or cuda:N
  if (hasLibrary && gpus.length > 0) return ok(name, `${device}; ${detail}`);
  const fix = !hasLibrary
    ? CUDA_INSTALL_HINT
    : `Install the NVIDIA driver / check ${opts.nvidiaSmiPath}, or set VECTORIZER_DEVICE=cpu.`;
  if (opts.allowCpuFallback) return warn(name, `${device} requested, workers will fall back to CPU; ${detail}`, fix);
  return fail(name, `${device} requested but CUDA is unusable; ${detail}`, fix);
}
