import { batchSizeFor, concurrencyFor, planWorkers } from './worker-plan';
import { estimateActivationBytesPerImage } from './activation-estimate';
import { GpuInfo } from './gpu';

const MiB = 1024 * 1024;
const gpu = (index: number, freeMb: number): GpuInfo => ({
  index,
  uuid: `GPU-${index}`,
  name: 'test',
  memoryTotalMb: freeMb + 500,
  memoryFreeMb: freeMb,
});

describe('batchSizeFor', () => {
  // usable = (free − reserve) MiB − 2 × weights; batch = pow2 floor(usable / perImage), clamped to 1..256
  it.each<[string, number, number, number, number, number]>([
    ['roomy GPU hits the cap', 80_000, 1_024, 400 * MiB, 20 * MiB, 256],
    ['power-of-two floor', 8_192, 1_024, 100 * MiB, 40 * MiB, 128], // (7168 − 200) / 40 = 174 → 128
    ['exact power of two', 1_024 + 64, 1_024, 0, 1 * MiB, 64],
    ['just under a power of two', 1_024 + 63, 1_024, 0, 1 * MiB, 32],
    ['weights eat the memory', 4_000, 1_024, 2_000 * MiB, 20 * MiB, 1],
    ['reserve larger than free', 500, 1_024, 0, 1 * MiB, 1],
  ])('%s', (_, freeMb, reserveMb, modelBytes, perImage, expected) => {
    expect(batchSizeFor(freeMb, { reserveMb, modelBytes, activationBytesPerImage: perImage })).toBe(expected);
  });
});

describe('planWorkers', () => {
  const host = { cores: 16, source: 'cpus' as const, availableParallelism: 16 };
  const options = { reserveMb: 1_024, modelBytes: 100 * MiB, activationBytesPerImage: 40 * MiB, host };

  it('plans one worker per GPU sized from its own free memory, pinned by UUID', () => {
    const plans = planWorkers([gpu(0, 8_192), gpu(3, 3_000)], options);
    expect(plans).toEqual([
      {
        device: 'cuda:0',
        gpu: expect.objectContaining({ index: 0, uuid: 'GPU-0' }),
        batchSize: 128,
        concurrency: 264,
        // 16 cores shared by two GPU workers.
        threads: expect.objectContaining({ cores: 8, workersOnHost: 2, inferenceThreads: 1, decodeThreads: 7 }),
        env: {
          VECTORIZER_DEVICE: 'cuda:0',
          BATCH_SIZE: '128',
          WORKER_CONCURRENCY: '264',
          WORKER_CORES: '8',
          CUDA_VISIBLE_DEVICES: 'GPU-0',
          CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
        },
      },
      expect.objectContaining({
        device: 'cuda:3',
        batchSize: 32,
        concurrency: 72,
        env: expect.objectContaining({ VECTORIZER_DEVICE: 'cuda:0', CUDA_VISIBLE_DEVICES: 'GPU-3' }),
      }),
    ]);
  });

  it('applies BATCH_SIZE and WORKER_CONCURRENCY overrides', () => {
    const [plan] = planWorkers([gpu(0, 8_192)], { ...options, batchSizeOverride: 12, concurrencyOverride: 5 });
    expect(plan).toMatchObject({ batchSize: 12, concurrency: 5, env: { BATCH_SIZE: '12', WORKER_CONCURRENCY: '5' } });
  });

  it('plans one CPU worker without GPUs', () => {
    expect(planWorkers([], options)).toEqual([
      {
        device: 'cpu',
        batchSize: 8,
        concurrency: 24,
        threads: expect.objectContaining({ cores: 16, inferenceThreads: 16, decodeThreads: 16 }),
        env: { VECTORIZER_DEVICE: 'cpu', BATCH_SIZE: '8', WORKER_CONCURRENCY: '24', WORKER_CORES: '16' },
      },
    ]);
    expect(planWorkers([], { ...options, batchSizeOverride: 4 })[0]).toMatchObject({ batchSize: 4, concurrency: 16 });
  });

  it('is the one home of the concurrency formula: two batches plus the prefetch allowance', () => {
    expect([1, 16, 256].map(concurrencyFor)).toEqual([10, 40, 520]);
  });

  it('passes INFERENCE_THREADS through to every plan', () => {
    const [plan] = planWorkers([], { ...options, inferenceThreadsOverride: 3 });
    expect(plan.threads).toMatchObject({ inferenceThreads: 3, inferenceThreadsSource: 'INFERENCE_THREADS' });
  });
});

describe('estimateActivationBytesPerImage', () => {
  it('grows with tokens quadratically through attention and matches a hand computation', () => {
    const base = {
      hiddenSize: 768,
      intermediateSize: 3072,
      numAttentionHeads: 12,
      imageSize: 224,
      patchSize: 16,
      bytesPerElement: 4,
    };
    // tokens 196: attention 2·12·196² = 921984; hidden 196·(768·6 + 3072·2) = 2107392; pixels 150528
    expect(estimateActivationBytesPerImage(base)).toBe(Math.ceil((921_984 + 2_107_392 + 150_528) * 4 * 1.5));
    expect(estimateActivationBytesPerImage({ ...base, bytesPerElement: 2 })).toBe(
      estimateActivationBytesPerImage(base) / 2,
    );
    expect(estimateActivationBytesPerImage({ ...base, imageSize: 448 })).toBeGreaterThan(
      4 * estimateActivationBytesPerImage(base),
    );
  });
});
