import { eventually, startPipelineFixture, type PipelineFixture } from './testing/pipeline-fixture';

/**
 * Identical image bytes are embedded once per model: within a batch (one inference for the copies)
 * and across batches (the stored vector is copied, no inference). Every copy ends with the same
 * vector, its job completes as `reused`, and both `reused` counts say how many were spared.
 */
describe('reuse of identical images', () => {
  let fx: PipelineFixture;

  beforeAll(async () => {
    fx = await startPipelineFixture('pipeline_reuse');
  });
  afterAll(async () => {
    await fx?.close();
  });

  const vectorOf = async (productId: string): Promise<string> => {
    const { rows } = await fx.schema.pool.query<{ embedding: string }>(
      'SELECT embedding_visual::text AS embedding FROM product_embeddings WHERE product_id = $1',
      [productId],
    );
    return rows[0]?.embedding as string;
  };
  const resultOf = async (): Promise<Record<string, unknown>> =>
    Object.fromEntries(
      (await fx.queue.getJobs(['completed'])).map((job) => [job.data.productId as string, job.returnvalue as unknown]),
    );

  it('runs the model once for identical bytes under different URLs, in one batch and across batches', async () => {
    // Image 5 under three URLs (the query string changes the URL, not the bytes), image 6 once.
    await fx.ingest([
      { id: 'same-a', imageUrl: fx.images.imageUrl(5) },
      { id: 'same-b', imageUrl: fx.images.imageUrl(5, 0) },
      { id: 'other', imageUrl: fx.images.imageUrl(6) },
      { id: 'same-c', imageUrl: fx.images.imageUrl(5, 1) },
    ]);
    fx.embedder.calls.length = 0;
    // Only a full batch of 4 closes it, so all four share one batch.
    const worker = fx.worker({ batch: { maxBatchSize: 4, maxWaitMs: 10_000 } });
    worker.start();
    await eventually(async () => (await fx.embeddings.countEmbedded(fx.model.id)) === 4, '4 embedded');
    expect(fx.embedder.calls).toEqual([2]);
    const first = await resultOf();
    expect(Object.values(first).sort()).toEqual(['embedded', 'embedded', 'reused', 'reused']);
    expect(first['other']).toBe('embedded');

    // Later, the same bytes under a fourth URL: copied from the stored row, no inference at all.
    await fx.ingest([{ id: 'same-d', imageUrl: fx.images.imageUrl(5, 2) }]);
    await eventually(async () => (await fx.embeddings.countEmbedded(fx.model.id)) === 5, '5 embedded');
    await worker.close(10_000);
    expect(fx.embedder.calls).toEqual([2]);
    expect((await resultOf())['same-d']).toBe('reused');

    const vector = await vectorOf('same-a');
    for (const id of ['same-b', 'same-c', 'same-d']) expect(await vectorOf(id)).toBe(vector);
    expect(await vectorOf('other')).not.toBe(vector);
    expect(await fx.embeddings.countReused(fx.model.id)).toBe(3);
    const reusedMetric = await fx.metrics.embeddingsReused.get();
    expect(reusedMetric.values[0]?.value).toBe(3);
  });
});
