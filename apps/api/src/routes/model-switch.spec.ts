import { eventually } from '@vectorizer/testing';
import { EmbeddingsRepository, ModelsRepository, runMigrations } from '@vectorizer/store';
import request from 'supertest';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';
import { patternImage, sha256 } from '../test-support/catalog-images';
import { seedCatalog } from '../test-support/seed-catalog';

/** A second model with another dimension, indexed as halfvec; its vectors are synthetic. */
const NEXT_MODEL = { id: 'next/model', dimension: 5, storage: 'halfvec' as const };
const IDS = ['original', 'copy', 'a', 'b', 'c'];

function nextVector(id: string): Float32Array {
  // "copy" shares the image of "original", so it shares its vector in every model.
  const seed = id === 'copy' ? 'original' : id;
  const vector = Float32Array.from({ length: NEXT_MODEL.dimension }, (_, i) =>
    Math.sin((i + 1) * (seed.charCodeAt(0) + seed.length)),
  );
  const norm = Math.hypot(...vector);
  return vector.map((v) => v / norm);
}

let harness: ApiHarness;
let models: ModelsRepository;

beforeAll(async () => {
  harness = await createApiHarness();
  const encoder = await harness.searchModel.encoder();
  const image = await patternImage(3);
  await seedCatalog(harness.schema.pool, encoder, [
    { id: 'original', title: 'Original', image },
    { id: 'copy', title: 'Copy', image },
    ...(await Promise.all(
      ['a', 'b', 'c'].map(async (id, i) => ({ id, title: id, image: await patternImage(50 + i) })),
    )),
  ]);
  // Re-embedding into the next model (a worker configured with it would do this): registered beside
  // the active one, written while searches keep running on the active one.
  await runMigrations(harness.schema.pool, { model: NEXT_MODEL });
  models = new ModelsRepository(harness.schema.pool);
  await new EmbeddingsRepository(harness.schema.pool).upsertMany(
    IDS.map((id) => ({
      productId: id,
      model: NEXT_MODEL.id,
      embedding: nextVector(id),
      imageUrl: `https://img.test/${id}.png`,
      imageSha256: sha256(image),
    })),
  );
}, 120_000);

afterAll(() => harness.close());

describe('switching the active model while search answers', () => {
  it('answers every search throughout, each naming the model that answered', async () => {
    const loaded = harness.model.id;
    const answers: { status: number; model?: string; top?: string }[] = [];
    let switching = true;
    const searching = (async () => {
      while (switching) {
        const res = await request(harness.app).get('/api/products/original/similar').query({ k: 1 });
        answers.push({ status: res.status, model: res.body.model, top: res.body.results?.[0]?.productId });
      }
    })();

    const text = async () => request(harness.app).get('/api/search/text').query({ q: 'a canvas backpack', k: 2 });
    try {
      expect((await text()).body).toMatchObject({ model: loaded });

      await models.activate(NEXT_MODEL.id);
      const similar = await request(harness.app).get('/api/products/original/similar').query({ k: 1 }).expect(200);
      expect(similar.body).toMatchObject({ model: NEXT_MODEL.id, results: [{ productId: 'copy' }] });
      expect(similar.body.results[0].score).toBeCloseTo(1, 2);
      // The API loaded the other model: it cannot embed a query for the active one, and says so.
      const refused = await text();
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'ACTIVE_MODEL_NOT_LOADED' });
      expect(refused.body.error.message).toContain(NEXT_MODEL.id);
      // The loop's own searches see the switch too (on a loaded machine one may take longer than
      // the requests above: wait for it rather than switch back before it answered).
      await eventually(
        () => answers.some((answer) => answer.model === NEXT_MODEL.id),
        'a loop search answered by the next model',
      );

      await models.activate(loaded);
      const back = await text();
      expect(back.status).toBe(200);
      expect(back.body.model).toBe(loaded);
    } finally {
      // Stops the searches even when an expectation above failed, so the test ends.
      switching = false;
      await searching;
    }
    expect(answers.length).toBeGreaterThan(2);
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.model))).toEqual(new Set([loaded, NEXT_MODEL.id]));
    expect(answers.every((answer) => answer.top === 'copy')).toBe(true);
    // Nothing was deleted by the switches: both models keep every vector.
    expect((await models.list()).map((model) => [model.id, model.embedded])).toEqual([
      [loaded, IDS.length],
      [NEXT_MODEL.id, IDS.length],
    ]);
  });

  it('answers 503 NO_ACTIVE_MODEL once the active model is dropped with --force', async () => {
    await models.drop(NEXT_MODEL.id);
    await models.drop(harness.model.id, { force: true });
    const res = await request(harness.app).get('/api/products/original/similar').expect(503);
    expect(res.body.error).toMatchObject({ code: 'NO_ACTIVE_MODEL' });
  });
});
