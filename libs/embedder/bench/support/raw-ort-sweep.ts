/**
 * The honest ceiling: onnxruntime-node's InferenceSession used directly (not our Embedder, not its
 * thread), swept over intra-op thread counts, graph execution mode and batch sizes, so a ratio
 * against it says how close our defaults come to what the library can do on this machine.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';

export interface RawOrtSetting {
  intraOpThreads: number;
  /** 'parallel' runs independent graph branches on interOpThreads threads; 'sequential' does not. */
  executionMode: 'sequential' | 'parallel';
  interOpThreads: number;
  /** Whether idle intra-op threads spin (ORT's default) or sleep. */
  spinning: boolean;
  batchSize: number;
}

export interface RawOrtResult extends RawOrtSetting {
  imagesPerSecond: number;
}

export interface RawOrtSweep {
  best: RawOrtResult;
  results: RawOrtResult[];
}

export interface RawOrtSweepOptions {
  modelPath: string;
  /** One preprocessed image (CHW float32); repeated to fill each batch. */
  image: Float32Array;
  height: number;
  width: number;
  batchSizes: readonly number[];
  /** Intra-op thread counts to try; default 1..cores. */
  threadCounts?: readonly number[];
  /** Seconds each setting runs for at least (after one warm-up run); default 3. */
  minSeconds?: number;
  /** Called after each setting, for progress lines. */
  onResult?: (result: RawOrtResult) => void;
}

export function allThreadCounts(cores = os.availableParallelism()): number[] {
  return Array.from({ length: cores }, (_, i) => i + 1);
}

/**
 * Every intra-op count × batch size in sequential mode, with idle threads spinning (ORT's default)
 * and, from 2 threads up, sleeping; then the best of those once more in parallel mode with 2
 * inter-op threads (it only helps graphs with independent branches).
 */
export async function sweepRawOrt(options: RawOrtSweepOptions): Promise<RawOrtSweep> {
  const results: RawOrtResult[] = [];
  const record = (result: RawOrtResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  for (const intraOpThreads of options.threadCounts ?? allThreadCounts()) {
    for (const spinning of intraOpThreads > 1 ? [true, false] : [true]) {
      const settings = options.batchSizes.map((batchSize) => ({
        intraOpThreads,
        executionMode: 'sequential' as const,
        interOpThreads: 1,
        spinning,
        batchSize,
      }));
      for (const result of await measureSettings(options, settings)) record(result);
    }
  }
  const sequentialBest = bestOf(results);
  if (sequentialBest.intraOpThreads > 1) {
    const [parallel] = await measureSettings(options, [
      { ...sequentialBest, executionMode: 'parallel', interOpThreads: 2 },
    ]);
    record(parallel);
  }
  return { best: bestOf(results), results };
}

function bestOf(results: readonly RawOrtResult[]): RawOrtResult {
  return results.reduce((best, result) => (result.imagesPerSecond > best.imagesPerSecond ? result : best));
}

/** One setting again (e.g. the sweep's best after a long run, to see drift in machine load). */
export async function measureRawOrt(
  options: Omit<RawOrtSweepOptions, 'batchSizes' | 'threadCounts'>,
  setting: RawOrtSetting,
): Promise<RawOrtResult> {
  const [result] = await measureSettings({ ...options, batchSizes: [setting.batchSize] }, [setting]);
  return result;
}

/** A raw session at one setting, for interleaving its batches with another contender's. */
export interface RawOrtRunner {
  /** Runs one batch of `batchSize`; resolves with its seconds. */
  runBatch(batchSize: number): Promise<number>;
  close(): Promise<void>;
}

export async function openRawOrt(
  options: Pick<RawOrtSweepOptions, 'modelPath' | 'image' | 'height' | 'width'>,
  setting: Omit<RawOrtSetting, 'batchSize'>,
): Promise<RawOrtRunner> {
  const session = await ort.InferenceSession.create(options.modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: setting.intraOpThreads,
    interOpNumThreads: setting.interOpThreads,
    executionMode: setting.executionMode,
    ...(setting.spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  });
  const inputName = session.inputNames.includes('pixel_values') ? 'pixel_values' : session.inputNames[0];
  const perImage = 3 * options.height * options.width;
  const feedsFor = new Map<number, Record<string, ort.Tensor>>();
  return {
    async runBatch(batchSize) {
      let feeds = feedsFor.get(batchSize);
      if (!feeds) {
        const pixels = new Float32Array(perImage * batchSize);
        for (let i = 0; i < batchSize; i++) pixels.set(options.image, i * perImage);
        feeds = { [inputName]: new ort.Tensor('float32', pixels, [batchSize, 3, options.height, options.width]) };
        feedsFor.set(batchSize, feeds);
      }
      const started = performance.now();
      const outputs = await session.run(feeds);
      for (const tensor of Object.values(outputs)) tensor.dispose();
      return (performance.now() - started) / 1000;
    },
    close: () => session.release(),
  };
}

/** One session per thread setting (threads are fixed at session creation), every batch size on it. */
async function measureSettings(options: RawOrtSweepOptions, settings: RawOrtSetting[]): Promise<RawOrtResult[]> {
  const runner = await openRawOrt(options, settings[0]);
  const results: RawOrtResult[] = [];
  try {
    for (const setting of settings) {
      const run = () => runner.runBatch(setting.batchSize);
      await run(); // warm-up: first-run allocations and kernel selection
      const minMs = (options.minSeconds ?? 3) * 1000;
      let runs = 0;
      const started = performance.now();
      do {
        await run();
        runs++;
      } while (performance.now() - started < minMs);
      const imagesPerSecond = (runs * setting.batchSize) / ((performance.now() - started) / 1000);
      results.push({ ...setting, imagesPerSecond });
    }
  } finally {
    await runner.close();
  }
  return results;
}

export function describeSetting(setting: RawOrtSetting): string {
  const mode = setting.executionMode === 'parallel' ? `, parallel with ${setting.interOpThreads} inter-op` : '';
  const spinning = setting.spinning ? '' : ', no spinning';
  return `${setting.intraOpThreads} intra-op thread(s)${mode}${spinning}, batch ${setting.batchSize}`;
}
