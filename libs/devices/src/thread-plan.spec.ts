import { FEED_CORE_MS_PER_PRODUCT, feedRateFor } from './feed-cost';
import type { HostCores } from './host-cores';
import { inferenceKindOf, planThreads, planWorkerThreads } from './thread-plan';

const host = (cores: number): HostCores => ({ cores, source: 'cpus', availableParallelism: cores });

describe('planThreads', () => {
  it('gives a CPU worker every core for ONNX Runtime (left alone in a worker thread it uses one)', () => {
    expect(planThreads({ host: host(2), workersOnHost: 1, inference: 'cpu' })).toEqual({
      cores: 2,
      hostCores: 2,
      coresSource: 'cpus',
      workersOnHost: 1,
      inferenceThreads: 2,
      inferenceThreadsSource: 'plan',
      interOpThreads: 1,
      decodeThreads: 2,
      sharpConcurrency: 1,
      uvThreadpoolSize: 4,
    });
    expect(planThreads({ host: host(32), workersOnHost: 1, inference: 'cpu' })).toMatchObject({
      inferenceThreads: 32,
      decodeThreads: 32,
      uvThreadpoolSize: 34,
    });
  });

  it('gives each of 8 GPU workers on a 64-core host 8 cores: 1 for the event loop, 7 decoding', () => {
    const plan = planThreads({ host: host(64), workersOnHost: 8, inference: 'gpu' });
    expect(plan).toMatchObject({
      cores: 8,
      hostCores: 64,
      workersOnHost: 8,
      inferenceThreads: 1,
      decodeThreads: 7,
      sharpConcurrency: 1,
      uvThreadpoolSize: 9,
      feedCoreMsPerProduct: FEED_CORE_MS_PER_PRODUCT,
    });
    expect(plan.feedRatePerSecond).toBe(Math.round((8 * 1000) / FEED_CORE_MS_PER_PRODUCT));
  });

  it('never plans fewer than one core or one decode thread', () => {
    expect(planThreads({ host: host(4), workersOnHost: 8, inference: 'gpu' })).toMatchObject({
      cores: 1,
      decodeThreads: 1,
      uvThreadpoolSize: 4,
    });
  });

  it('INFERENCE_THREADS replaces only the ONNX Runtime threads', () => {
    expect(
      planThreads({ host: host(16), workersOnHost: 1, inference: 'cpu', inferenceThreadsOverride: 3 }),
    ).toMatchObject({ inferenceThreads: 3, inferenceThreadsSource: 'INFERENCE_THREADS', decodeThreads: 16 });
  });
});

describe('planWorkerThreads', () => {
  const probe = { availableParallelism: () => 64, readFile: () => undefined };

  it('plans a supervised GPU worker from its assigned share', () => {
    expect(planWorkerThreads({ device: 'cuda:0', assignedCores: 8, probe })).toMatchObject({
      cores: 8,
      coresSource: 'assigned',
      inferenceThreads: 1,
      decodeThreads: 7,
    });
  });

  it('plans a lone worker from the host, "auto" as CPU', () => {
    expect(planWorkerThreads({ device: 'auto', probe })).toMatchObject({ cores: 64, inferenceThreads: 64 });
    expect(inferenceKindOf('cpu')).toBe('cpu');
    expect(inferenceKindOf('cuda')).toBe('gpu');
    expect(inferenceKindOf('webgpu')).toBe('cpu');
  });
});

describe('feed cost', () => {
  it('converts cores to products/s at the per-product cost', () => {
    expect(feedRateFor(8, 20)).toBe(400);
  });
});
