import { createLogger } from '@vectorizer/logger';
import { Embedder } from '../embedder';
import { resolveModel } from '../model/resolve-model';
import { ensureTinyModel, TINY_MODEL_DIR } from '../test-support/tiny-model';
import { startCpuEmbedder } from '../test-support/cpu-embedder';

const image = (fill: number) => new Float32Array(3 * 32 * 32).fill(fill);

describe('the bounded inference queue', () => {
  let embedder: Embedder;

  beforeAll(async () => {
    await ensureTinyModel();
    const model = await resolveModel({ modelDir: TINY_MODEL_DIR, dtype: 'fp32', devModelSize: 'tiny' });
    embedder = await startCpuEmbedder(model, { maxQueuedRequests: 2 });
  });
  afterAll(() => embedder.close());

  it('fails calls beyond the bound at once with INFERENCE_QUEUE_FULL, serves the rest, then accepts again', async () => {
    // All five calls reach the client in this tick, before the thread can answer any of them.
    const calls = [0.1, 0.2, 0.3, 0.4, 0.5].map((fill) => embedder.embedPixels([image(fill)]));
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({
      code: 'INFERENCE_QUEUE_FULL',
      message: expect.stringContaining('limit 2'),
      hint: expect.stringContaining('Retry'),
    });
    const again = await Promise.all([embedder.embedPixels([image(0.3)]), embedder.embedTexts(['red shoe'])]);
    expect(again.map((vectors) => vectors[0].length)).toEqual([64, 64]);
  });

  it('rejects a bound below 1', async () => {
    const model = await resolveModel({ modelDir: TINY_MODEL_DIR, dtype: 'fp32', devModelSize: 'tiny' });
    await expect(
      Embedder.start({
        model,
        device: 'cpu',
        allowCpuFallback: false,
        maxBatchSize: 1,
        logger: createLogger({ level: 'silent' }),
        maxQueuedRequests: 0,
      }),
    ).rejects.toMatchObject({ code: 'EMBEDDER_OPTIONS_INVALID' });
  });
});
