/*
 * `node --import tsx bench/filtered-search.ts [-- --rows N --dim D --queries Q --ef-search E --quick --json FILE]`:
 * filtered kNN through the production path (EmbeddingsRepository.searchByVector: the products join,
 * `attributes @> filter`, hnsw.iterative_scan) on N products (default 100,000 × 768-d, clustered
 * like bench:search: 1000 centres plus noise) whose attributes hold a category (20 values: each 5%
 * of the catalog) and a brand (100 values: 1%). Prints, per filter, p50/p95 latency, recall@10
 * against the exact answer (the same filter, index scans off), how many queries got all k results,
 * and how many results the same query returns with iterative scans off (what a filtered HNSW
 * search returned before pgvector 0.8). Targets (printed, not asserted): recall@10 ≥ 0.95, every
 * query answered with k results.
 */
import { performance } from 'node:perf_hooks';
import { EmbeddingsRepository, ProductsRepository, createPool, runMigrations } from '@vectorizer/store';
import { createTestDatabase } from '@vectorizer/testing';
import type { PoolClient } from 'pg';
import { argValue, BenchFigures } from '../libs/embedder/bench/support/bench-json';

const K = 10;
const MODEL = 'bench/filtered-search';
const CATEGORIES = 20;
const BRANDS = 100;
const CENTRES = 1_000;
const TARGET_RECALL = 0.95;

const quick = process.argv.includes('--quick');
const whole = (name: string, fallback: number): number => {
  const value = Number(argValue(name) ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive whole number`);
  return value;
};
const rows = whole('rows', quick ? 20_000 : 100_000);
const dim = whole('dim', 768);
const queries = whole('queries', quick ? 100 : 300);
const efSearch = whole('ef-search', 100);
const figures = new BenchFigures('filtered-search');

/** Deterministic Gaussian samples (xorshift + Box–Muller). */
function gaussian(seed: number): () => number {
  let state = seed >>> 0 || 1;
  const uniform = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4_294_967_296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function normalised(v: Float32Array): Float32Array {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** Vectors around CENTRES random centres (cosine ≈ 0.8 to their centre), like a catalog's image embeddings. */
function clusteredVectors(seed: number): () => Float32Array {
  const centreNoise = gaussian(1_000_003);
  const centres = Array.from({ length: CENTRES }, () => normalised(Float32Array.from({ length: dim }, centreNoise)));
  const noise = gaussian(seed);
  const sigma = 0.75 / Math.sqrt(dim);
  let pick = seed;
  return () => {
    pick = (pick * 1_103_515_245 + 12_345) % 2_147_483_648;
    const centre = centres[pick % CENTRES] as Float32Array;
    return normalised(centre.map((x) => x + sigma * noise()));
  };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
const literal = (v: Float32Array): string => `[${Array.from(v).join(',')}]`;

/**
 * The top k among the matching products, by the query shape of the kNN query, under the client's
 * settings: exact with index scans off, the plain HNSW answer with iterative scans off.
 */
async function nearestIds(client: PoolClient, vector: Float32Array, filter: object): Promise<string[]> {
  const { rows: hits } = await client.query<{ product_id: string }>(
    `SELECT e.product_id FROM product_embeddings e JOIN products p ON p.id = e.product_id
      WHERE e.model = $2 AND p.attributes @> $3::jsonb
      ORDER BY e.embedding_visual <=> $1::vector LIMIT ${K}`,
    [literal(vector), MODEL, JSON.stringify(filter)],
  );
  return hits.map((hit) => hit.product_id);
}

async function main(): Promise<void> {
  console.log(
    `bench:filtered-search — ${rows} products × ${dim}-d clustered vectors, ${queries} queries per filter, k=${K}, ef_search ${efSearch}`,
  );
  const database = await createTestDatabase('bench_filtered');
  // The index build at 100k takes minutes: beyond the production statement timeout.
  const pool = createPool(database.url, { max: 2, statementTimeoutMs: 3_600_000 });
  try {
    await runMigrations(pool, { dimension: dim });
    // The HNSW index is built after the load (as bench:search does): much faster than row by row.
    const { rows: indexes } = await pool.query<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'product_embeddings' AND indexdef LIKE '%hnsw%'",
    );
    for (const index of indexes) await pool.query(`DROP INDEX ${index.indexname}`);
    const started = performance.now();
    const draw = clusteredVectors(42);
    const products = new ProductsRepository(pool);
    const embeddings = new EmbeddingsRepository(pool);
    const page = 5_000;
    for (let first = 0; first < rows; first += page) {
      const ids = Array.from({ length: Math.min(page, rows - first) }, (_, i) => first + i);
      await products.upsertMany(
        ids.map((i) => ({
          id: `p${i}`,
          imageUrl: `https://img.example/${i}.jpg`,
          attributes: { category: `c${i % CATEGORIES}`, brand: `b${(i * 7) % BRANDS}`, inStock: i % 3 !== 0 },
        })),
      );
      await embeddings.upsertMany(
        ids.map((i) => ({
          productId: `p${i}`,
          model: MODEL,
          embedding: draw(),
          imageUrl: `https://img.example/${i}.jpg`,
          imageSha256: i.toString(16).padStart(64, '0'),
        })),
      );
      process.stdout.write(`\r  loaded ${first + ids.length} / ${rows}`);
    }
    process.stdout.write('\n');
    const buildStarted = performance.now();
    const builder = await pool.connect();
    try {
      await builder.query("SET maintenance_work_mem = '1GB'");
      for (const index of indexes) await builder.query(index.indexdef);
    } finally {
      builder.release();
    }
    await pool.query('VACUUM ANALYZE products');
    await pool.query('VACUUM ANALYZE product_embeddings');
    console.log(
      `  load ${((buildStarted - started) / 1000).toFixed(1)} s, index build ${((performance.now() - buildStarted) / 1000).toFixed(1)} s`,
    );

    const drawQuery = clusteredVectors(7);
    const vectors = Array.from({ length: queries }, drawQuery);
    const filters: { label: string; filter: Record<string, string> | undefined; share: number }[] = [
      { label: 'no filter', filter: undefined, share: 1 },
      { label: 'category (5%)', filter: { category: 'c3' }, share: 1 / CATEGORIES },
      { label: 'brand (1%)', filter: { brand: 'b42' }, share: 1 / BRANDS },
    ];
    const client = await pool.connect();
    try {
      await client.query('SET enable_indexscan = off');
      console.log('  filter            p50 ms   p95 ms   recall@10   queries with k   results without iterative scan');
      for (const { label, filter, share } of filters) {
        const exact: string[][] = [];
        for (const vector of vectors) exact.push(await nearestIds(client, vector, filter ?? {}));
        // Warm the cache, then time the production call.
        for (const vector of vectors.slice(0, 20)) await embeddings.searchByVector(vector, MODEL, K, efSearch, filter);
        const latencies: number[] = [];
        let hits = 0;
        let full = 0;
        for (const [i, vector] of vectors.entries()) {
          const t0 = performance.now();
          const found = await embeddings.searchByVector(vector, MODEL, K, efSearch, filter);
          latencies.push(performance.now() - t0);
          const truth = new Set(exact[i]);
          hits += found.filter((hit) => truth.has(hit.productId)).length;
          if (found.length === K) full += 1;
        }
        // The same query with iterative scans off (before pgvector 0.8): results returned on average.
        await client.query('BEGIN');
        await client.query(`SET LOCAL enable_indexscan = on`);
        await client.query(`SET LOCAL hnsw.ef_search = ${efSearch}`);
        await client.query(`SET LOCAL hnsw.iterative_scan = off`);
        let withoutIterative = 0;
        for (const vector of vectors) withoutIterative += (await nearestIds(client, vector, filter ?? {})).length;
        await client.query('COMMIT');
        const sorted = [...latencies].sort((a, b) => a - b);
        const p50 = percentile(sorted, 50);
        const p95 = percentile(sorted, 95);
        const total = exact.reduce((sum, ids) => sum + ids.length, 0);
        const recall = total === 0 ? 1 : hits / total;
        const meanWithout = withoutIterative / vectors.length;
        console.log(
          `  ${label.padEnd(16)} ${p50.toFixed(2).padStart(6)}   ${p95.toFixed(2).padStart(6)}   ${recall.toFixed(4).padStart(9)}   ` +
            `${`${full}/${vectors.length}`.padStart(14)}   ${meanWithout.toFixed(1).padStart(10)} of ${K}`,
        );
        const scope = `${label}, ${rows} × ${dim}-d, ef_search ${efSearch}`;
        figures.add({
          name: `search p95, ${scope}`,
          value: p95,
          unit: 'ms',
          note: `p50 ${p50.toFixed(2)} ms; production query (products join, attributes @> filter, iterative scan)`,
        });
        figures.add({
          name: `search recall@10, ${scope}`,
          value: recall,
          unit: 'recall',
          ceiling: 1,
          ceilingName: 'exact scan with the same filter',
          note: `target ≥ ${TARGET_RECALL}; ${full}/${vectors.length} queries got ${K} results; without iterative scan ${meanWithout.toFixed(1)} of ${K} on average (filter keeps ${(share * 100).toFixed(0)}%)`,
        });
      }
    } finally {
      client.release();
    }
    figures.write();
  } finally {
    await pool.end();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
