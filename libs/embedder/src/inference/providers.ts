import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EmbedderError } from '../errors';

/** One way to create the session, in order of preference; the thread tries each until one loads. */
export interface ExecutionAttempt {
  /** What the logs and `embedder.provider` say, e.g. "cuda:1" or "cpu". */
  label: string;
  /** onnxruntime-node's executionProviders entry. */
  provider: { name: 'cpu' } | { name: 'cuda'; deviceId: number } | { name: 'webgpu' };
}

export interface ExecutionPlan {
  attempts: ExecutionAttempt[];
  /** Said once at start-up as warnings (a fallback the operator should know about). */
  warnings: string[];
}

export const CUDA_INSTALL_HINT =
  'Reinstall onnxruntime-node with its CUDA provider: ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci ' +
  '(needs CUDA 12 and cuDNN 9 libraries on the loader path, e.g. LD_LIBRARY_PATH), ' +
  'or set VECTORIZER_DEVICE=cpu, or ALLOW_CPU_FALLBACK=true to run on CPU when CUDA is unavailable.';

/** The folder holding onnxruntime_binding.node; the optional provider libraries sit next to it. */
export function onnxRuntimeBinDir(): string {
  const packageDir = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
}

export function cudaProviderLibrary(binDir = onnxRuntimeBinDir()): string {
  return join(
    binDir,
    process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so',
  );
}

export type DeviceRequest =
  { kind: 'auto' } | { kind: 'cpu' } | { kind: 'webgpu' } | { kind: 'cuda'; deviceId: number };

/** VECTORIZER_DEVICE → what was asked for: auto | cpu | cuda | cuda:N | webgpu. */
export function parseDevice(device: string): DeviceRequest {
  if (device === 'auto' || device === 'cpu' || device === 'webgpu') return { kind: device };
  const cuda = /^cuda(?::(\d+))?$/.exec(device);
  if (cuda) return { kind: 'cuda', deviceId: cuda[1] === undefined ? 0 : Number(cuda[1]) };
  throw new EmbedderError('DEVICE_INVALID', `Unknown device "${device}"`, {
    hint: 'Use VECTORIZER_DEVICE=auto, cpu, cuda, cuda:N or webgpu.',
  });
}

const CPU: ExecutionAttempt = { label: 'cpu', provider: { name: 'cpu' } };

/**
 * Decides which providers to try. A CUDA request without the CUDA provider library fails here,
 * before any thread starts, naming the missing file — unless CPU fallback was allowed.
 */
export function planExecution(opts: {
  device: string;
  allowCpuFallback: boolean;
  cudaLibrary?: string;
}): ExecutionPlan {
  const request = parseDevice(opts.device);
  const cudaLibrary = opts.cudaLibrary ?? cudaProviderLibrary();
  const cudaInstalled = existsSync(cudaLibrary);
  switch (request.kind) {
    case 'cpu':
      return { attempts: [CPU], warnings: [] };
    case 'auto':
      // auto means "the GPU if this install can use one": a CPU-only install is not a warning.
      return cudaInstalled
        ? { attempts: [{ label: 'cuda:0', provider: { name: 'cuda', deviceId: 0 } }, CPU], warnings: [] }
        : { attempts: [CPU], warnings: [] };
    case 'webgpu': {
      const attempts: ExecutionAttempt[] = [{ label: 'webgpu', provider: { name: 'webgpu' } }];
      return { attempts: opts.allowCpuFallback ? [...attempts, CPU] : attempts, warnings: [] };
    }
    case 'cuda': {
      const cuda: ExecutionAttempt = {
        label: `cuda:${request.deviceId}`,
        provider: { name: 'cuda', deviceId: request.deviceId },
      };
      if (cudaInstalled) return { attempts: opts.allowCpuFallback ? [cuda, CPU] : [cuda], warnings: [] };
      const missing = `CUDA was requested (VECTORIZER_DEVICE=${opts.device}) but the ONNX Runtime CUDA provider is not installed: ${cudaLibrary} does not exist`;
      if (!opts.allowCpuFallback)
        throw new EmbedderError('CUDA_PROVIDER_UNAVAILABLE', missing, { hint: CUDA_INSTALL_HINT });
      return { attempts: [CPU], warnings: [`${missing}; running on CPU because ALLOW_CPU_FALLBACK=true`] };
    }
  }
}
