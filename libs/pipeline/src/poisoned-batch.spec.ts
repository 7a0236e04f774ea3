import { eventually, startPipelineFixture, type PipelineFixture } from './testing/pipeline-fixture';

/**
 * One bad item must not fail its batch: the poisoned dev model's vector is NaN for an all-black
 * image. In a batch of 8 with one such image, the 7 others commit on their first attempt and the
 * poisoned job alone is dead-lettered, with the code that names the cause.
 */
describe('a batch with one poisoned item', () => {
  let fx: PipelineFixture;

  beforeAll(async () => {
    fx = await startPipelineFixture('pipeline_poison', { attempts: 3, backoffMs: 20 }, undefined, { poison: 'black' });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('commits the others on their first attempt and dead-letters only the poisoned job', async () => {
    const good = Array.from({ length: 7 }, (_, i) => ({ id: `good${i}`, imageUrl: fx.images.imageUrl(i + 1) }));
    await fx.ingest([...good.slice(0, 3), { id: 'poisoned', imageUrl: fx.images.blackUrl }, ...good.slice(3)]);
    fx.embedder.calls.length = 0;
    // A long wait: only the full batch of 8 closes it, so the poisoned image shares its batch.
    const worker = fx.worker({ batch: { maxBatchSize: 8, maxWaitMs: 10_000 } });
    worker.start();
    await eventually(async () => (await fx.deadLetters.count()) === 1, 'poisoned job dead-lettered');
    await eventually(async () => (await fx.embeddings.countEmbedded(fx.model.id)) === 7, '7 embedded');
    await worker.close(10_000);

    expect(fx.embedder.calls).toEqual([8]);
    expect(await fx.deadLetters.list()).toEqual([
      expect.objectContaining({
        code: 'EMBEDDING_NOT_FINITE',
        attemptsMade: 1,
        hint: expect.stringContaining('NaN'),
        payload: expect.objectContaining({ productId: 'poisoned' }),
      }),
    ]);
    const completed = await fx.queue.getJobs(['completed']);
    expect(completed.map((job) => job.data.productId).sort()).toEqual(good.map((item) => item.id).sort());
    expect(completed.every((job) => job.attemptsMade === 1 && (job.returnvalue as unknown) === 'embedded')).toBe(true);
    const { rows } = await fx.schema.pool.query<{ product_id: string }>(
      'SELECT product_id FROM product_embeddings ORDER BY product_id',
    );
    expect(rows.map((row) => row.product_id)).toEqual(good.map((item) => item.id).sort());
  });
});
