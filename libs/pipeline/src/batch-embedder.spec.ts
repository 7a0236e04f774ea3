import { createHash } from 'node:crypto';
import { EmbeddingsRepository, type EmbeddingRow } from '@vectorizer/store';
import { createPipelineMetrics, createRegistry } from '@vectorizer/telemetry';
import { createBatchEmbedder, type PixelEmbedder } from './batch-embedder';
import type { PreparedImage } from './prepare-image';
import { startPipelineFixture, type PipelineFixture } from './testing/pipeline-fixture';

/** Per-job outcomes of one batch, against the real store and the tiny model. */
describe('createBatchEmbedder', () => {
  let fx: PipelineFixture;

  beforeAll(async () => {
    fx = await startPipelineFixture('pipeline_batch');
    // Postgres itself refuses one product's row, as a constraint or a trigger would.
    await fx.schema.pool.query(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.product_id LIKE 'refused%' THEN RAISE EXCEPTION 'row refused for %', NEW.product_id USING ERRCODE = '23514'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON product_embeddings
        FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
  });
  afterAll(async () => {
    await fx?.close();
  });

  const side = () => fx.model.preprocessor.size;
  function image(productId: string, seed: number, imageUrl = `https://img/${productId}.png`): PreparedImage {
    const { height, width } = side();
    const pixels = new Uint8Array(3 * height * width).map((_, i) => 128 + Math.sin(seed * 31 + i) * 120);
    return {
      payload: { productId, imageUrl, model: fx.model.id, enqueuedAt: new Date().toISOString() },
      imageSha256: createHash('sha256').update(productId).digest('hex'),
      pixels,
    };
  }

  function batchEmbedder(
    overrides: {
      embedder?: PixelEmbedder;
      writes?: EmbeddingRow[][];
      /** Awaited before each write reaches Postgres. */
      beforeWrite?: () => Promise<void>;
      /** Called after each lookup of stored vectors returned. */
      afterLookup?: () => void;
    } = {},
  ) {
    const repository = new EmbeddingsRepository(fx.schema.pool);
    return createBatchEmbedder({
      embedder: overrides.embedder ?? fx.embedder,
      embeddings: {
        upsertMany: async (rows) => {
          overrides.writes?.push(rows);
          await overrides.beforeWrite?.();
          return repository.upsertMany(rows);
        },
        vectorsByImageSha256: async (model, sha256s) => {
          const found = await repository.vectorsByImageSha256(model, sha256s);
          overrides.afterLookup?.();
          return found;
        },
      },
      metrics: createPipelineMetrics(createRegistry()),
      postgresIsDown: async () => false,
      downDependency: () => undefined,
    });
  }

  it('fails only the rows Postgres refuses, found by splitting the write, and commits the rest', async () => {
    const ids = ['a1', 'a2', 'refused1', 'a3', 'a4', 'a5', 'a6', 'a7'];
    await fx.products.upsertMany(ids.map((id) => ({ id, imageUrl: `https://img/${id}.png` })));
    const items = ids.map((id, i) => image(id, i));
    const writes: EmbeddingRow[][] = [];
    const outcomes = await batchEmbedder({ writes })(items);

    for (const item of items) {
      const outcome = outcomes.get(item);
      if (item.payload.productId === 'refused1') {
        expect(outcome).toMatchObject({ status: 'failed', error: { code: 'EMBEDDING_ROW_REJECTED' } });
        expect((outcome as { error: Error }).error.message).toContain('SQLSTATE 23514');
      } else {
        expect(outcome).toEqual({ status: 'embedded' });
      }
    }
    // The write of 8 is refused, then halves: [a1 a2 refused1 a3] refused → [a1 a2] ok, [refused1 a3]
    // refused → [refused1] refused, [a3] ok; then [a4..a7] ok.
    expect(writes.map((rows) => rows.length)).toEqual([8, 4, 2, 2, 1, 1, 4]);
    const { rows } = await fx.schema.pool.query<{ product_id: string }>(
      "SELECT product_id FROM product_embeddings WHERE product_id LIKE 'a%' OR product_id LIKE 'refused%' ORDER BY 1",
    );
    expect(rows.map((row) => row.product_id)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
  });

  it('fails a non-finite or wrong-length vector with its own code and writes the others', async () => {
    const ids = ['n1', 'n2', 'n3'];
    await fx.products.upsertMany(ids.map((id) => ({ id, imageUrl: `https://img/${id}.png` })));
    const items = ids.map((id, i) => image(id, 10 + i));
    const broken: PixelEmbedder = {
      modelId: fx.embedder.modelId,
      dimension: fx.embedder.dimension,
      embedRgb: async (pixels) => {
        const vectors = await fx.embedder.embedRgb(pixels);
        (vectors[0] as Float32Array)[3] = Number.NaN;
        vectors[2] = (vectors[2] as Float32Array).subarray(1);
        return vectors;
      },
    };
    const outcomes = await batchEmbedder({ embedder: broken })(items);
    expect(outcomes.get(items[0] as PreparedImage)).toMatchObject({
      status: 'failed',
      error: { code: 'EMBEDDING_NOT_FINITE' },
    });
    expect(outcomes.get(items[1] as PreparedImage)).toEqual({ status: 'embedded' });
    expect(outcomes.get(items[2] as PreparedImage)).toMatchObject({
      status: 'failed',
      error: { code: 'VECTOR_DIMENSION_MISMATCH' },
    });
  });

  /**
   * Batches over the same new picture whose lookups must both happen before the picture is
   * stored: the model (or else the first write) is held until two lookups have returned, so
   * neither batch finds the other's row. `embedRgb` may fail the first run.
   */
  function twoBatchesInFlight(options: { failFirstRun?: boolean; hold?: 'model' | 'write' } = {}) {
    const hold = options.hold ?? 'model';
    let lookups = 0;
    let bothLookedUp: () => void = () => undefined;
    const lookedUp = new Promise<void>((resolve) => (bothLookedUp = resolve));
    let firstRunEnded: () => void = () => undefined;
    const ranOnce = new Promise<void>((resolve) => (firstRunEnded = resolve));
    const inferred: number[] = [];
    const run = batchEmbedder({
      embedder: {
        modelId: fx.embedder.modelId,
        dimension: fx.embedder.dimension,
        embedRgb: async (pixels) => {
          inferred.push(pixels.length);
          if (hold === 'model') await lookedUp;
          try {
            if (options.failFirstRun && inferred.length === 1) throw new Error('inference thread hiccup');
            return await fx.embedder.embedRgb(pixels);
          } finally {
            firstRunEnded();
          }
        },
      },
      beforeWrite: async () => {
        if (hold === 'write') await lookedUp;
      },
      afterLookup: () => {
        if ((lookups += 1) === 2) bothLookedUp();
      },
    });
    return { run, inferred, ranOnce };
  }

  it('runs an image once when two batches in flight both see it for the first time', async () => {
    const ids = ['d1', 'd2', 'd3', 'd4'];
    await fx.products.upsertMany(ids.map((id) => ({ id, imageUrl: `https://img/${id}.png` })));
    const sha256 = createHash('sha256').update('a new picture').digest('hex');
    const shared = (id: string) => ({ ...image(id, 40), imageSha256: sha256 });
    const { run, inferred } = twoBatchesInFlight();
    const [a, b] = await Promise.all([run([shared('d1'), image('d2', 41)]), run([shared('d3'), image('d4', 42)])]);
    // One run of 2 (the picture and d2's), one of 1 (d4's only).
    expect(inferred.sort()).toEqual([1, 2]);
    const outcomes = [...a.values(), ...b.values()].map((outcome) => outcome.status).sort();
    expect(outcomes).toEqual(['embedded', 'embedded', 'embedded', 'reused']);
    const { rows } = await fx.schema.pool.query<{ product_id: string; embedding: string }>(
      "SELECT product_id, embedding_visual::text AS embedding FROM product_embeddings WHERE product_id IN ('d1', 'd3')",
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]?.embedding).toBe(rows[1]?.embedding);
  });

  it('still offers a picture after its run, until its batch has written it', async () => {
    await fx.products.upsertMany(['w1', 'w2'].map((id) => ({ id, imageUrl: `https://img/${id}.png` })));
    const sha256 = createHash('sha256').update('a picture being written').digest('hex');
    const shared = (id: string) => ({ ...image(id, 60), imageSha256: sha256 });
    const { run, inferred, ranOnce } = twoBatchesInFlight({ hold: 'write' });
    const first = run([shared('w1')]);
    // The second batch starts once the first has run the model, while its write waits.
    await ranOnce;
    const second = run([shared('w2')]);
    const outcomes = [...(await first).values(), ...(await second).values()].map((outcome) => outcome.status);
    expect(outcomes).toEqual(['embedded', 'reused']);
    expect(inferred).toEqual([1]);
  });

  it('runs a borrowed image itself when the batch that was running it failed (never inherits that failure)', async () => {
    await fx.products.upsertMany(['f1', 'f2'].map((id) => ({ id, imageUrl: `https://img/${id}.png` })));
    const sha256 = createHash('sha256').update('a picture whose first run failed').digest('hex');
    const shared = (id: string) => ({ ...image(id, 50), imageSha256: sha256 });
    const { run, inferred } = twoBatchesInFlight({ failFirstRun: true });
    const settled = await Promise.allSettled([run([shared('f1')]), run([shared('f2')])]);
    expect(settled.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    for (const result of settled) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ message: 'inference thread hiccup' });
      else expect([...result.value.values()]).toEqual([{ status: 'embedded' }]);
    }
    expect(inferred).toEqual([1, 1]);
  });

  it('reports the job of a replaced image as superseded, and postpones everything while paused', async () => {
    await fx.products.upsertMany([{ id: 's1', imageUrl: 'https://img/s1-new.png' }]);
    const stale = image('s1', 20, 'https://img/s1-old.png');
    const outcomes = await batchEmbedder()([stale]);
    expect(outcomes.get(stale)).toEqual({ status: 'superseded' });

    const calls = fx.embedder.calls.length;
    const paused = createBatchEmbedder({
      embedder: fx.embedder,
      embeddings: new EmbeddingsRepository(fx.schema.pool),
      metrics: createPipelineMetrics(createRegistry()),
      postgresIsDown: async () => true,
      downDependency: () => 'postgres',
    });
    const item = image('s2', 21);
    expect((await paused([item])).get(item)).toMatchObject({
      status: 'failed',
      error: { code: 'POSTGRES_UNAVAILABLE' },
    });
    expect(fx.embedder.calls.length).toBe(calls); // no inference it could not write
  });
});
