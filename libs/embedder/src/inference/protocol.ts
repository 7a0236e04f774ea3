import type { SerializedError } from './serialized-error';
import type { ExecutionAttempt } from './providers';
import type { TextPreprocessing } from '../model/text-preprocessing';

/** Messages between the main thread (inference-client.ts) and the session thread (inference-thread.ts). */

export interface ThreadInit {
  visionModelPath: string;
  textModelPath?: string;
  /** Folder with tokenizer.json, for the lazily loaded text tower. */
  modelDir: string;
  /** Present with textModelPath. */
  textPreprocessing?: TextPreprocessing;
  attempts: ExecutionAttempt[];
  /** ORT intra-op threads; undefined lets ORT pick, which inside this worker thread is one core (see the thread plan). */
  threads?: number;
  testHooks?: InferenceTestHooks;
}

/**
 * For tests only: makes the thread fail like an out-of-memory GPU for batches above a size, so the
 * batch-halving path can be exercised on a CPU-only machine.
 */
export interface InferenceTestHooks {
  failAllocationAboveBatch?: number;
}

export interface SessionInfo {
  provider: string;
  inputName: string;
  outputName: string;
  /** Embedding size from the graph's output shape, when the export declares it statically. */
  declaredDimension?: number;
  /** Spatial size from the graph's input shape, when static. */
  declaredImageSize?: { height: number; width: number };
  /** The graph's pixel input: float16 in exports converted without keeping float32 inputs (Optimum's). */
  inputType: 'float32' | 'float16';
}

export type ToThread =
  | {
      type: 'embed-pixels';
      id: number;
      /** float32 values, or half-precision bits (only for a float16 input, see SessionInfo.inputType). */
      pixels: Float32Array | Uint16Array;
      batch: number;
      height: number;
      width: number;
    }
  | { type: 'embed-texts'; id: number; texts: string[] }
  | { type: 'close'; id: number };

export type FromThread =
  | { type: 'ready'; session: SessionInfo; warnings: string[] }
  | { type: 'init-failed'; error: SerializedError; failures: { provider: string; error: SerializedError }[] }
  | {
      type: 'result';
      id: number;
      embeddings: Float32Array;
      dimension: number;
      /** embed-pixels: the request's input, transferred back so the caller can fill it again. */
      pixels?: Float32Array | Uint16Array;
    }
  | { type: 'failed'; id: number; error: SerializedError }
  | { type: 'closed'; id: number };
