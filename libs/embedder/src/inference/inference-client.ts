import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EmbedderError } from '../errors';
import type { FromThread, SessionInfo, ThreadInit, ToThread } from './protocol';
import type { SerializedError } from './serialized-error';

export interface ThreadLoadFailure {
  error: SerializedError;
  /** Per-provider errors, in the order they were tried. */
  failures: { provider: string; error: SerializedError }[];
}

export class ThreadLoadError extends Error {
  constructor(readonly failure: ThreadLoadFailure) {
    super(failure.error.message);
  }
}

export class ThreadRequestError extends Error {
  constructor(readonly serialized: SerializedError) {
    super(serialized.message);
  }
}

type Pending = { resolve: (value: FromThread) => void; reject: (error: Error) => void };

/** Requests (each one batch or one text list) that may wait for the thread at once, the running one included. */
export const DEFAULT_MAX_QUEUED_REQUESTS = 16;

/** Under jest/tsx this module is TypeScript, and so is the thread: the thread then loads tsx first. */
function threadEntry(): { file: string; execArgv: string[] } {
  if (__filename.endsWith('.ts')) {
    return { file: join(__dirname, 'inference-thread.ts'), execArgv: ['--require', require.resolve('tsx/cjs')] };
  }
  return { file: join(__dirname, 'inference-thread.js'), execArgv: [] };
}

/**
 * The main-thread side of the session thread: sends batches as one transferred buffer, matches
 * replies to requests, and turns a dead thread into a rejected request instead of a hang.
 */
export class InferenceClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly session: SessionInfo,
    readonly warnings: string[],
    private readonly maxQueued: number,
  ) {
    worker.on('message', (message: FromThread) => {
      if (!('id' in message)) return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.type === 'failed') waiter.reject(new ThreadRequestError(message.error));
      else waiter.resolve(message);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`inference thread exited with code ${code}`)));
  }

  /**
   * `maxQueued` bounds the requests waiting for the thread: each holds its batch's pixels, so the
   * bound caps that memory. Beyond it a request fails at once with INFERENCE_QUEUE_FULL (its buffer
   * is not transferred) rather than queueing without limit.
   */
  static start(init: ThreadInit, maxQueued = DEFAULT_MAX_QUEUED_REQUESTS): Promise<InferenceClient> {
    const { file, execArgv } = threadEntry();
    const worker = new Worker(file, { workerData: init, execArgv });
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromThread) => {
        if (message.type === 'ready') {
          cleanup();
          resolve(new InferenceClient(worker, message.session, message.warnings, maxQueued));
        } else if (message.type === 'init-failed') {
          cleanup();
          void worker.terminate();
          reject(new ThreadLoadError({ error: message.error, failures: message.failures }));
        }
      };
      const onError = (error: Error) => {
        cleanup();
        reject(new ThreadLoadError({ error: { message: error.message, stack: error.stack }, failures: [] }));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(
          new ThreadLoadError({
            error: { message: `inference thread exited with code ${code} while loading` },
            failures: [],
          }),
        );
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  /**
   * `pixels` is transferred: the caller's buffer is detached afterwards, and comes back as
   * `pixels` in the reply (unchanged in size) for the caller to reuse.
   */
  async embedPixels(
    pixels: Float32Array | Uint16Array,
    batch: number,
    height: number,
    width: number,
  ): Promise<{ embeddings: Float32Array; dimension: number; pixels?: Float32Array | Uint16Array }> {
    const reply = await this.request({ type: 'embed-pixels', id: 0, pixels, batch, height, width }, [
      pixels.buffer as ArrayBuffer,
    ]);
    if (reply.type !== 'result') throw new Error(`unexpected reply ${reply.type}`);
    return { embeddings: reply.embeddings, dimension: reply.dimension, pixels: reply.pixels };
  }

  async embedTexts(texts: string[]): Promise<{ embeddings: Float32Array; dimension: number }> {
    const reply = await this.request({ type: 'embed-texts', id: 0, texts });
    if (reply.type !== 'result') throw new Error(`unexpected reply ${reply.type}`);
    return { embeddings: reply.embeddings, dimension: reply.dimension };
  }

  /** Releases the sessions, then ends the thread; in-flight requests finish first (the thread handles messages in order). */
  async close(): Promise<void> {
    if (this.exited) return;
    try {
      await this.request({ type: 'close', id: 0 }, [], { bounded: false });
    } catch {
      // Already gone: nothing left to release.
    }
    await this.worker.terminate();
  }

  private request(
    message: ToThread,
    transfer: ArrayBuffer[] = [],
    { bounded = true }: { bounded?: boolean } = {},
  ): Promise<FromThread> {
    if (this.exited) {
      return Promise.reject(
        new EmbedderError('INFERENCE_THREAD_DIED', `The inference thread is gone: ${this.exited.message}`, {
          hint: 'Restart the process; the log above this line says why the thread ended.',
        }),
      );
    }
    if (bounded && this.pending.size >= this.maxQueued) {
      return Promise.reject(
        new EmbedderError(
          'INFERENCE_QUEUE_FULL',
          `${this.pending.size} inference requests are already waiting for the model (limit ${this.maxQueued})`,
          {
            hint: 'Retry shortly; callers that embed concurrently should limit themselves below maxQueuedRequests (the worker sends at most its in-flight batches).',
          },
        ),
      );
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private failAll(error: Error): void {
    this.exited ??= error;
    for (const waiter of this.pending.values()) {
      waiter.reject(
        new EmbedderError('INFERENCE_THREAD_DIED', `The inference thread ended: ${error.message}`, {
          hint: 'Restart the process; the log above this line says why the thread ended.',
          cause: error,
        }),
      );
    }
    this.pending.clear();
  }
}
