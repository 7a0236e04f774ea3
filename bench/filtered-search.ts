/*
 * `npm run bench:filtered-search [-- --rows N --queries Q --ef-search E --quick --json FILE]`:
 * the measurement behind the kNN planner's threshold (SEARCH_EXACT_MAX_ROWS). On the bench catalog
 * (bench/support/search-dataset.ts: N products × 768-d, 200 clusters, attributes independent of
 * them; 100k by default, 20k with --quick), for filters keeping 0.2% to 20% of the products, it
 * runs both strategies of SearchRepository on the same Q queries:
 *   exact — every matching product scored (GIN index, primary-key join): its latency grows with
 *           the rows the filter keeps;
 *   hnsw  — the HNSW scan in relaxed order with over-fetch ×1 and ×2 and the exact re-rank: its
 *           recall falls as the filter gets more selective.
 * Recall@10 is against the exact answer of a plain SQL scan (index scans off), not our exact path.
 * The threshold belongs where HNSW stops reaching recall 0.99: below it the exact path is the only
 * one that is right, and it is fast there. Numbers are printed, never asserted.
 */
import { SearchRepository } from '@vectorizer/store';
import type { PoolClient } from 'pg';
import { BenchFigures } from '../libs/embedder/bench/support/bench-json';
import { measureSearch } from './support/latency';
import {
  BENCH_MODEL,
  SWEEP_FILTERS,
  clusteredVectors,
  openBenchCatalog,
  searchBenchSize,
  wholeArg,
} from './support/search-dataset';

const K = 10;
const DIM = 768;
const { rows, queries } = searchBenchSize();
const efSearch = wholeArg('ef-search', 200);
const figures = new BenchFigures('filtered-search');

const literal = (v: Float32Array): string => `[${Array.from(v).join(',')}]`;

/** The truth: the k nearest matching products by a plain scan, index scans off. */
async function exactIds(client: PoolClient, vector: Float32Array, filter: object): Promise<string[]> {
  const { rows: hits } = await client.query<{ product_id: string }>(
    `SELECT e.product_id FROM product_embeddings e JOIN products p ON p.id = e.product_id
      WHERE e.model = $2 AND p.attributes @> $3::jsonb
      ORDER BY e.embedding_visual <=> $1::vector LIMIT ${K}`,
    [literal(vector), BENCH_MODEL, JSON.stringify(filter)],
  );
  return hits.map((hit) => hit.product_id);
}

/** One strategy over the query vectors, timed and scored against `truth`. */
const timed = (
  vectors: Float32Array[],
  truth: string[][],
  run: (vector: Float32Array) => Promise<{ productId: string }[]>,
) => measureSearch(vectors, truth, async (vector) => (await run(vector)).map((hit) => hit.productId));

async function main(): Promise<void> {
  console.log(
    `bench:filtered-search — the planner's threshold: ${rows} products × ${DIM}-d (200 clusters), ${queries} queries, k=${K}, ef_search ${efSearch}`,
  );
  const catalog = await openBenchCatalog(rows, DIM);
  const search = new SearchRepository(catalog.pool);
  const client = await catalog.pool.connect();
  try {
    await client.query('SET enable_indexscan = off');
    const vectors = Array.from({ length: queries }, clusteredVectors(DIM, 7));
    console.log(
      '  filter                  rows   exact p50/p95 ms   hnsw×1 recall  p50/p95 ms   hnsw×2 recall  p50/p95 ms',
    );
    for (const { label, filter, share } of SWEEP_FILTERS) {
      const matching = await search.countMatching(filter ?? {}, rows);
      const truth: string[][] = [];
      for (const vector of vectors) truth.push(await exactIds(client, vector, filter ?? {}));
      const exact = await timed(vectors, truth, (vector) =>
        search.nearestExact({ vector }, BENCH_MODEL, { k: K, filter }),
      );
      const hnsw = (factor: number) =>
        timed(vectors, truth, (vector) =>
          search.nearestHnsw({ vector }, BENCH_MODEL, { k: K, efSearch, filter, fetch: K * factor }),
        );
      const once = await hnsw(1);
      const twice = await hnsw(2);
      const ms = (r: { p50: number; p95: number }) => `${r.p50.toFixed(1)}/${r.p95.toFixed(1)}`.padStart(11);
      console.log(
        `  ${label.padEnd(22)} ${String(matching).padStart(6)}   ${ms(exact).padStart(16)}   ${once.recall.toFixed(3).padStart(13)}  ${ms(once)}   ${twice.recall.toFixed(3).padStart(13)}  ${ms(twice)}`,
      );
      const scope = `${label}, ${matching} rows of ${rows}`;
      figures.add({
        name: `exact path p95, ${scope}`,
        value: exact.p95,
        unit: 'ms',
        note: `p50 ${exact.p50.toFixed(2)} ms; recall ${exact.recall.toFixed(3)}`,
      });
      figures.add({
        name: `hnsw path recall@10, ${scope}`,
        value: once.recall,
        unit: 'recall',
        ceiling: 1,
        ceilingName: 'exact scan with the same filter',
        note: `p50 ${once.p50.toFixed(2)} / p95 ${once.p95.toFixed(2)} ms (over-fetch ×2: recall ${twice.recall.toFixed(3)}, p95 ${twice.p95.toFixed(2)} ms); share ${(share * 100).toFixed(1)}%`,
      });
    }
  } finally {
    client.release();
    await catalog.close();
  }
  figures.write();
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
