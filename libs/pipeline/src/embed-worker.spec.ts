import { Worker, type Job } from 'bullmq';
import { jobIdFor } from '@vectorizer/queue';
import { eventually, startPipelineFixture, type PipelineFixture } from './testing/pipeline-fixture';

describe('EmbedWorker (real Redis, Postgres, images and the tiny model)', () => {
  let fx: PipelineFixture;

  beforeAll(async () => {
    fx = await startPipelineFixture('pipeline_worker');
  });
  afterAll(async () => {
    await fx?.close();
  });

  const products = (from: number, count: number, prefix = 'p') =>
    Array.from({ length: count }, (_, i) => ({ id: `${prefix}${from + i}`, imageUrl: fx.images.imageUrl(from + i) }));
  const queueEmpty = async () =>
    (await fx.queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized')) === 0;
  const jobOf = async (id: string, imageUrl: string): Promise<Job | undefined> =>
    fx.queue.getJob(jobIdFor(id, imageUrl, fx.model.id));

  it('embeds jobs batched across jobs: 8 jobs, one embedRgb call, one row each', async () => {
    const batch = products(0, 8);
    await fx.ingest(batch);
    fx.embedder.calls.length = 0;
    // A long wait: only a full batch (8 jobs fetched and decoded concurrently) closes it.
    const worker = fx.worker({ batch: { maxBatchSize: 8, maxWaitMs: 10_000 } });
    worker.start();
    await eventually(async () => (await fx.embeddings.countEmbedded(fx.model.id)) === 8, '8 embeddings');
    await eventually(queueEmpty, 'queue drained');
    expect(fx.embedder.calls).toEqual([8]);
    expect(await worker.close(10_000)).toBe('drained');
    const row = await fx.schema.pool.query(
      'SELECT dim, image_url, image_sha256 FROM product_embeddings WHERE product_id = $1',
      ['p3'],
    );
    expect(row.rows[0]).toMatchObject({ dim: fx.model.dimension, image_url: fx.images.imageUrl(3) });
    expect(row.rows[0].image_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports a close that fails as the failure, never as drained', async () => {
    const worker = fx.worker();
    worker.start();
    const failingClose = jest.spyOn(Worker.prototype, 'close').mockRejectedValueOnce(new Error('connection reset'));
    try {
      await expect(worker.close(10_000)).rejects.toThrow('connection reset');
      expect(worker.state).toBe('closed');
    } finally {
      failingClose.mockRestore();
    }
    expect(await worker.close(10_000)).toBe('drained');
  });

  it('re-enqueueing the same products rewrites the same rows, never duplicates them', async () => {
    const batch = products(0, 8);
    await fx.ingest(batch);
    const worker = fx.worker();
    worker.start();
    await eventually(queueEmpty, 'queue drained');
    await worker.close(10_000);
    expect(await fx.rowCount()).toBe(8);
    expect(await fx.embeddings.countEmbedded(fx.model.id)).toBe(8);
  });

  it('sends every failure where it belongs', async () => {
    await fx.deadLetters.purge();
    const cases = [
      { id: 'missing', imageUrl: fx.images.missingUrl },
      { id: 'corrupt', imageUrl: fx.images.corruptUrl },
      { id: 'bmp', imageUrl: fx.images.unsupportedUrl },
      { id: 'refused', imageUrl: 'file:///etc/hostname' },
      { id: 'flaky', imageUrl: fx.images.flakyUrl('twice', 2) },
      { id: 'down', imageUrl: fx.images.flakyUrl('always', 1_000) },
    ];
    await fx.ingest(cases);
    const worker = fx.worker();
    worker.start();
    await eventually(async () => (await fx.deadLetters.count()) === 5, '5 dead letters');
    await eventually(queueEmpty, 'queue drained');
    await worker.close(10_000);

    const entries = new Map((await fx.deadLetters.list()).map((entry) => [entry.payload?.productId, entry]));
    // Permanent: dead-lettered on the first attempt, with the original payload.
    expect(entries.get('missing')).toMatchObject({
      code: 'FETCH_NOT_FOUND',
      attemptsMade: 1,
      payload: { imageUrl: fx.images.missingUrl },
    });
    expect(entries.get('corrupt')).toMatchObject({ code: 'IMAGE_CORRUPT', attemptsMade: 1 });
    expect(entries.get('bmp')).toMatchObject({ code: 'IMAGE_UNSUPPORTED_FORMAT', attemptsMade: 1 });
    expect(entries.get('refused')).toMatchObject({ code: 'FETCH_FILE_URL_REFUSED', attemptsMade: 1 });
    expect(fx.images.hits('/missing.png')).toBe(1);
    // Transient: retried with backoff; dead-lettered only once every attempt failed.
    expect(entries.get('down')).toMatchObject({ code: 'FETCH_HTTP_5XX', attemptsMade: 3 });
    expect(fx.images.hits('/flaky/always/1000.png')).toBe(3);
    expect(entries.has('flaky')).toBe(false);
    expect(await fx.embeddings.countEmbedded(fx.model.id)).toBe(9);

    const missingJob = await jobOf('missing', fx.images.missingUrl);
    expect(await missingJob?.getState()).toBe('failed');
    expect(missingJob?.attemptsMade).toBe(1);
    expect(missingJob?.failedReason).toContain('FETCH_NOT_FOUND');
    for (const entry of entries.values())
      expect(entry.jobId).toBe(jobIdFor(entry.payload?.productId ?? '', entry.payload?.imageUrl ?? '', fx.model.id));
  });

  it('dead-letters a job for another model without touching the image', async () => {
    await fx.deadLetters.purge();
    await fx.products.upsertMany([{ id: 'other', imageUrl: fx.images.imageUrl(50) }]);
    await fx.queue.add(
      'embed',
      {
        productId: 'other',
        imageUrl: fx.images.imageUrl(50),
        model: 'someone/else',
        enqueuedAt: new Date().toISOString(),
      },
      { jobId: 'other-model' },
    );
    const worker = fx.worker();
    worker.start();
    await eventually(async () => (await fx.deadLetters.count()) === 1, 'model mismatch dead-lettered');
    await worker.close(10_000);
    expect((await fx.deadLetters.list())[0]).toMatchObject({ code: 'JOB_MODEL_MISMATCH', attemptsMade: 1 });
    expect(fx.images.hits('/ok/50.png')).toBe(0);
  });

  it('never lets a slow job for an old image overwrite the embedding of the new one', async () => {
    const oldUrl = fx.images.imageUrl(70, 1_500); // served slowly
    const newUrl = fx.images.imageUrl(71); // served at once
    await fx.ingest([{ id: 'race', imageUrl: oldUrl }]);
    const supersededBefore = (await fx.metrics.jobsSuperseded.get()).values[0]?.value ?? 0;
    const worker = fx.worker({ batch: { maxBatchSize: 8, maxWaitMs: 5 } });
    worker.start();
    const oldJob = await jobOf('race', oldUrl);
    await eventually(async () => (await oldJob?.getState()) === 'active', 'old job fetching');
    // The catalog moves on while the old image is still downloading.
    await fx.ingest([{ id: 'race', imageUrl: newUrl }]);
    await eventually(async () => (await (await jobOf('race', newUrl))?.getState()) === 'completed', 'new job done');
    await eventually(async () => (await oldJob?.getState()) === 'completed', 'old job done');
    await worker.close(10_000);

    expect((await fx.queue.getJob(oldJob?.id as string))?.returnvalue).toBe('superseded');
    expect((await jobOf('race', newUrl))?.returnvalue).toBe('embedded');
    expect((await fx.metrics.jobsSuperseded.get()).values[0]?.value).toBe(supersededBefore + 1);
    const { rows } = await fx.schema.pool.query('SELECT image_url FROM product_embeddings WHERE product_id = $1', [
      'race',
    ]);
    expect(rows).toEqual([{ image_url: newUrl }]);
  });
});
