import { Worker } from 'node:worker_threads';

/**
 * Test-only: an onnxruntime-node session living in a worker thread. Inside Jest's sandbox the
 * runtime's output tensors are built from the host realm's Float32Array and fail ORT's own
 * `instanceof` check ("A float32 tensor's data must be type of Float32Array"); a worker thread is a
 * clean realm, which is also how the production Embedder runs its session.
 */
export interface PlainTensor {
  type: 'float32' | 'int64';
  data: Float32Array | BigInt64Array;
  dims: number[];
}

export interface SessionInfo {
  inputNames: string[];
  outputNames: string[];
  inputShapes: (number | string)[][];
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
parentPort.on('message', async ({ id, op, arg }) => {
  try {
    if (op === 'create') {
      session = await ort.InferenceSession.create(arg);
      const inputShapes = session.inputMetadata.map((m) => (m.isTensor ? m.shape : []));
      parentPort.postMessage({ id, result: { inputNames: session.inputNames, outputNames: session.outputNames, inputShapes } });
    } else {
      const feeds = {};
      for (const [name, t] of Object.entries(arg)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const outputs = await session.run(feeds);
      const result = {};
      for (const [name, t] of Object.entries(outputs)) result[name] = { type: t.type, data: t.data, dims: [...t.dims] };
      parentPort.postMessage({ id, result });
    }
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.stack) || error) });
  }
});
`;

export class WorkerSession {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    public info: SessionInfo,
  ) {
    worker.on('message', ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
      const call = this.pending.get(id);
      this.pending.delete(id);
      if (error !== undefined) call?.reject(new Error(error));
      else call?.resolve(result);
    });
    worker.on('error', (error) => {
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    });
  }

  static async create(modelPath: string): Promise<WorkerSession> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ortPath: require.resolve('onnxruntime-node') },
    });
    const session = new WorkerSession(worker, { inputNames: [], outputNames: [], inputShapes: [] });
    try {
      session.info = (await session.call('create', modelPath)) as SessionInfo;
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return session;
  }

  async run(feeds: Record<string, PlainTensor>): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
    return (await this.call('run', feeds)) as Record<string, { data: Float32Array; dims: number[] }>;
  }

  async release(): Promise<void> {
    await this.worker.terminate();
  }

  private call(op: 'create' | 'run', arg: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, arg });
    });
  }
}
