import { basename } from 'node:path';
import { EmbedderError } from '../errors';
import { externalDataFileFor } from '../model/model-files';
import { repairHint, type ModelSource } from '../model/repair-hint';
import type { ThreadLoadFailure } from './inference-client';
import { CUDA_INSTALL_HINT } from './providers';

const CUDA_LOAD_FAILURE =
  /providers_cuda|providers_shared|libcudart|libcublas|libcudnn|Failed to load (shared )?librar|CUDA driver|no CUDA-capable device|cuda.*(shared object|not found|unavailable)/i;
const UNPARSABLE_MODEL =
  /protobuf parsing failed|INVALID_PROTOBUF|Load model from .* failed|ModelProto|No graph was found|Invalid model/i;
const MISSING_EXTERNAL_DATA = /external data|\.onnx_data|External initializer/i;

/**
 * Turns ORT's load error text (which comes back from the thread as text only) into one error that
 * names the file, the cause and the fix. The raw ORT message stays in `cause` for the log.
 */
export function explainLoadFailure(
  failure: ThreadLoadFailure,
  model: { path: string; source: ModelSource },
): EmbedderError {
  const messages = failure.failures.length > 0 ? failure.failures : [{ provider: 'thread', error: failure.error }];
  const summary = messages.map((f) => `[${f.provider}] ${f.error.message}`).join('; ');
  const cause = new Error(summary);
  const cudaFailure = messages.find((f) => f.provider.startsWith('cuda') && CUDA_LOAD_FAILURE.test(f.error.message));
  if (cudaFailure) {
    return new EmbedderError(
      'CUDA_PROVIDER_UNAVAILABLE',
      `The CUDA execution provider could not start: ${cudaFailure.error.message}`,
      {
        hint: CUDA_INSTALL_HINT,
        cause,
      },
    );
  }
  if (messages.some((f) => MISSING_EXTERNAL_DATA.test(f.error.message))) {
    const dataFile = externalDataFileFor(model.path);
    return new EmbedderError(
      'MODEL_FILE_MISSING',
      `${basename(model.path)} keeps its weights in ${dataFile}, which could not be read`,
      {
        hint: `The .onnx and its .onnx_data must sit side by side with their original names; ${repairHint(model.source)}`,
        cause,
      },
    );
  }
  if (messages.some((f) => UNPARSABLE_MODEL.test(f.error.message))) {
    return new EmbedderError(
      'MODEL_FILE_CORRUPT',
      `ONNX Runtime cannot parse ${model.path} (truncated or not an ONNX file)`,
      {
        hint: repairHint(model.source),
        cause,
      },
    );
  }
  const providerFailure = messages.find((f) => f.provider !== 'cpu' && f.provider !== 'thread');
  if (providerFailure) {
    return new EmbedderError(
      'EXECUTION_PROVIDER_FAILED',
      `Execution provider ${providerFailure.provider} failed to load ${model.path}: ${providerFailure.error.message}`,
      {
        hint: 'Check the device and its drivers, or set VECTORIZER_DEVICE=cpu / ALLOW_CPU_FALLBACK=true.',
        cause,
      },
    );
  }
  return new EmbedderError('MODEL_LOAD_FAILED', `ONNX Runtime failed to load ${model.path}: ${failure.error.message}`, {
    hint: `Make sure the file is a vision-tower ONNX export (input pixel_values, output pooler_output); ${repairHint(model.source)}`,
    cause,
  });
}

const ALLOCATION_FAILURE =
  /Failed to allocate memory|out of memory|bad_alloc|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED/i;

/** True for the errors a smaller batch can fix (host or device memory exhausted). */
export function isAllocationFailure(message: string): boolean {
  return ALLOCATION_FAILURE.test(message);
}
