/*
 * `npm run bench:search [-- --rows N --queries Q --ef-search 40,100,200,400 --quick --json FILE]`:
 * search as users meet it. On the bench catalog (bench/support/search-dataset.ts: N products ×
 * 768-d clustered around 200 centres, attributes independent of the clusters; 100k by default,
 * 20k with --quick; generated once into its own database and reused), Q products' "similar
 * products" (their stored vector, themselves excluded), for no filter and filters keeping 20%, 5%
 * and 1% of the catalog, each measured three ways in the same run:
 *   raw  — plain pgvector: the query an engineer would write (ORDER BY the index expression LIMIT
 *          k, the filter in the WHERE, hnsw.ef_search and iterative scans set per query), the
 *          query vector sent as a parameter;
 *   repo — the kNN planner over SearchRepository (what the API runs), with its strategy;
 *   api  — GET /api/products/:id/similar through the real express app over HTTP (keep-alive).
 * Each figure is recall@10 against the exact answer (a plain scan, index scans off) and p50/p95
 * latency (`--only duplicates` skips to the duplicates page). Before that, the unfiltered recall/latency curve of raw pgvector per ef_search
 * (the measurement behind SEARCH_EF_SEARCH). Targets (printed, not asserted): recall@10 ≥ 0.98
 * unfiltered and ≥ 0.99 at 1% and 5% with p95 ≤ 20 ms; API p95 ≤ 1.5 × raw p95 + 1 ms.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createLogger } from '@vectorizer/logger';
import { createEmbedQueue } from '@vectorizer/queue';
import { apiServices, createApiRegistry } from '@vectorizer/runtime';
import { DuplicateLinks, KnnPlanner } from '@vectorizer/search';
import { DuplicateLinksRepository, SearchRepository, createPool, modelIndexName } from '@vectorizer/store';
import { loadConfig } from '@vectorizer/config';
import IORedis from 'ioredis';
import type { PoolClient } from 'pg';
import { createApp } from '../apps/api/src/app';
import { argValue, BenchFigures } from '../libs/embedder/bench/support/bench-json';
import { measureSearch, percentile, type SearchMeasurement } from './support/latency';
import { BENCH_MODEL, FILTERS, openBenchCatalog, searchBenchSize } from './support/search-dataset';

const K = 10;
const DIM = 768;
/** The product's own defaults (SEARCH_EF_SEARCH, SEARCH_EXACT_MAX_ROWS): the bench measures what ships. */
const { SEARCH_EF_SEARCH: DEFAULT_EF_SEARCH, SEARCH_EXACT_MAX_ROWS: EXACT_MAX_ROWS } = loadConfig({});
const { rows, queries } = searchBenchSize();
const curve = (argValue('ef-search') ?? '40,100,200,400').split(',').map(Number);
/** `--only duplicates`: the duplicates page alone (the search table takes minutes of exact scans). */
const onlyDuplicates = argValue('only') === 'duplicates';
const figures = new BenchFigures('search');

/** One searcher over the picked products, timed and scored against `truth` (product id → its true neighbours). */
const measure = (
  ids: string[],
  truth: Map<string, string[]>,
  run: (id: string) => Promise<string[]>,
): Promise<SearchMeasurement> =>
  measureSearch(
    ids,
    ids.map((id) => truth.get(id) ?? []),
    run,
  );

const show = (m: SearchMeasurement): string =>
  `${m.recall.toFixed(3)}  ${m.p50.toFixed(2).padStart(6)} / ${m.p95.toFixed(2).padStart(6)}`;

async function main(): Promise<void> {
  console.log(`bench:search — ${rows} products × ${DIM}-d (200 clusters), ${queries} similar-product queries, k=${K}`);
  const catalog = await openBenchCatalog(rows, DIM);
  const { pool } = catalog;
  const index = modelIndexName(BENCH_MODEL);
  const expression = `(e.embedding_visual::vector(${DIM}))`;
  const { rows: picked } = await pool.query<{ product_id: string; embedding: string }>(
    `SELECT product_id, embedding_visual::text AS embedding FROM product_embeddings
      WHERE model = $1 ORDER BY md5(product_id) LIMIT $2`,
    [BENCH_MODEL, queries],
  );
  const ids = picked.map((row) => row.product_id);
  const vectors = new Map(picked.map((row) => [row.product_id, row.embedding]));
  console.log(`  index: ${catalog.indexDefinition}`);

  const truthClient = await pool.connect();
  const rawClient = await pool.connect();
  const exactTruth = async (client: PoolClient, filter: object | undefined): Promise<Map<string, string[]>> => {
    const truth = new Map<string, string[]>();
    for (const id of ids) {
      const { rows: hits } = await client.query<{ product_id: string }>(
        `SELECT e.product_id FROM product_embeddings e JOIN products p ON p.id = e.product_id
          WHERE e.model = $2 AND e.product_id <> $3 AND p.attributes @> $4::jsonb
          ORDER BY e.embedding_visual <=> $1::vector LIMIT ${K}`,
        [vectors.get(id), BENCH_MODEL, id, JSON.stringify(filter ?? {})],
      );
      truth.set(
        id,
        hits.map((hit) => hit.product_id),
      );
    }
    return truth;
  };
  /** Plain pgvector: SET LOCAL per query in a transaction, the query vector as text. */
  const raw = async (id: string, filter: object | undefined, efSearch: number): Promise<string[]> => {
    await rawClient.query('BEGIN');
    try {
      await rawClient.query(`SET LOCAL hnsw.ef_search = ${efSearch}`);
      if (filter) await rawClient.query('SET LOCAL hnsw.iterative_scan = relaxed_order');
      const { rows: hits } = await rawClient.query<{ product_id: string }>(
        `SELECT e.product_id FROM product_embeddings e JOIN products p ON p.id = e.product_id
          WHERE e.model = '${BENCH_MODEL}' AND e.product_id <> $2 ${filter ? 'AND p.attributes @> $3::jsonb' : ''}
          ORDER BY ${expression} <=> $1::vector(${DIM}) LIMIT ${K}`,
        filter ? [vectors.get(id), id, JSON.stringify(filter)] : [vectors.get(id), id],
      );
      return hits.map((hit) => hit.product_id);
    } finally {
      await rawClient.query('COMMIT');
    }
  };

  // The API: the real express app on a pool of its own for searches, as server.ts builds it.
  const searchPool = createPool(catalog.url, { max: 4 });
  const redis = new IORedis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const queue = createEmbedQueue({
    connection: redis,
    prefix: `bench-search-${process.pid}`,
    retryPolicy: { attempts: 1, backoffMs: 1_000 },
  });
  const logger = createLogger({ level: 'silent' });
  const services = apiServices({
    pool,
    searchPool,
    redis,
    queuePrefix: `bench-search-${process.pid}`,
    queue,
    registry: createApiRegistry(),
    searchModel: () => Promise.reject(new Error('no model in bench:search')),
    startEncoder: () => Promise.reject(new Error('no model in bench:search')),
    efSearch: DEFAULT_EF_SEARCH,
    exactMaxRows: EXACT_MAX_ROWS,
    maxK: 100,
    imageFileRoots: [],
    imageMaxBytes: 1 << 20,
    intake: { token: undefined, maxBodyBytes: 1 << 20, queueWindow: 0, model: async () => BENCH_MODEL },
    logger,
  });
  const app = createApp({
    ...services,
    dashboard: { token: 'bench', open: false, readOnly: true },
    logger,
  });
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const plannerPool = createPool(catalog.url, { max: 1 });
  const planner = new KnnPlanner(new SearchRepository(plannerPool), {
    efSearch: DEFAULT_EF_SEARCH,
    exactMaxRows: EXACT_MAX_ROWS,
  });

  try {
    await truthClient.query('SET enable_indexscan = off');
    const unfilteredTruth = onlyDuplicates ? new Map<string, string[]>() : await exactTruth(truthClient, undefined);
    console.log(`\n  unfiltered, raw pgvector per ef_search (index ${index})`);
    console.log('  ef_search  recall@10  p50 / p95 ms');
    for (const ef of onlyDuplicates ? [] : curve) {
      const m = await measure(ids, unfilteredTruth, (id) => raw(id, undefined, ef));
      console.log(`  ${String(ef).padStart(9)}  ${show(m)}`);
      figures.add({
        name: `raw pgvector recall@10, no filter, ef_search ${ef}, ${rows} × ${DIM}-d`,
        value: m.recall,
        unit: 'recall',
        note: `p50 ${m.p50.toFixed(2)} / p95 ${m.p95.toFixed(2)} ms`,
      });
    }

    console.log(`\n  ef_search ${DEFAULT_EF_SEARCH}, exact below ${EXACT_MAX_ROWS} matching rows`);
    console.log(
      '  filter           raw: recall  p50 / p95 ms     repo: strategy recall  p50 / p95 ms     api: recall  p50 / p95 ms   api p95 ≤ 1.5×raw+1',
    );
    for (const { label, filter } of onlyDuplicates ? [] : FILTERS) {
      const truth = filter ? await exactTruth(truthClient, filter) : unfilteredTruth;
      const rawM = await measure(ids, truth, (id) => raw(id, filter, DEFAULT_EF_SEARCH));
      let strategy = '';
      const repoM = await measure(ids, truth, async (id) => {
        const planned = await planner.search({ productId: id }, BENCH_MODEL, K, filter);
        strategy = planned.strategy;
        return planned.hits.map((hit) => hit.productId);
      });
      const query = filter ? `&filter=${encodeURIComponent(JSON.stringify(filter))}` : '';
      const apiM = await measure(ids, truth, async (id) => {
        const response = await fetch(`${base}/api/products/${encodeURIComponent(id)}/similar?k=${K}${query}`);
        if (!response.ok) throw new Error(`API answered ${response.status}: ${await response.text()}`);
        const body = (await response.json()) as { results: { productId: string }[] };
        return body.results.map((hit) => hit.productId);
      });
      const budget = 1.5 * rawM.p95 + 1;
      console.log(
        `  ${label.padEnd(15)}  ${show(rawM)}     ${strategy.padEnd(8)} ${show(repoM)}     ${show(apiM)}   ${apiM.p95 <= budget ? 'yes' : 'NO'} (${budget.toFixed(2)})`,
      );
      const scope = `${label}, ${rows} × ${DIM}-d`;
      figures.add({
        name: `search recall@10, ${scope}`,
        value: repoM.recall,
        unit: 'recall',
        ceiling: 1,
        ceilingName: 'exact scan',
        note: `strategy ${strategy}; raw pgvector ${rawM.recall.toFixed(3)}`,
      });
      figures.add({
        name: `API p95, ${scope}`,
        value: apiM.p95,
        unit: 'ms',
        ceiling: rawM.p95,
        ceilingName: 'raw pgvector p95, same filter (the API answers with its planner)',
        note: `p50 ${apiM.p50.toFixed(2)} ms; repository p95 ${repoM.p95.toFixed(2)} ms; raw p50 ${rawM.p50.toFixed(2)} ms`,
      });
    }

    // Duplicates: every product's links, computed once (later runs find none pending), then the page.
    const linksStore = new DuplicateLinksRepository(pool);
    const links = new DuplicateLinks(linksStore, async (q, m, k) => (await planner.search(q, m, k)).hits);
    const pending = await linksStore.countPending(BENCH_MODEL);
    if (pending > 0) {
      console.log(`\n  computing the duplicate links of ${pending} products (once; kept in the catalog database)`);
      const started = performance.now();
      const stored = await links.refresh(BENCH_MODEL);
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `  ${stored} products linked in ${seconds.toFixed(1)} s: ${((seconds * 1000) / stored).toFixed(2)} ms each`,
      );
      figures.add({
        name: `duplicate links, ms per product, ${rows} × ${DIM}-d`,
        value: (seconds * 1000) / stored,
        unit: 'ms',
      });
    }
    console.log('\n  GET /api/duplicates   p50 / p95 ms   groups');
    for (const query of ['', '?threshold=0.95']) {
      const latencies: number[] = [];
      let groups = 0;
      for (let i = 0; i < 12; i++) {
        const started = performance.now();
        const response = await fetch(`${base}/api/duplicates${query}`);
        const body = (await response.json()) as { groups?: unknown[] };
        if (i >= 2) latencies.push(performance.now() - started);
        groups = body.groups?.length ?? -1;
      }
      const sorted = latencies.sort((a, b) => a - b);
      const [p50, p95] = [percentile(sorted, 50), percentile(sorted, 95)];
      console.log(`  ${(query || 'auto threshold').padEnd(20)}  ${p50.toFixed(1)} / ${p95.toFixed(1)}   ${groups}`);
      figures.add({
        name: `duplicates page p95 (${query || 'auto'}), ${rows} products`,
        value: p95,
        unit: 'ms',
        note: `p50 ${p50.toFixed(1)} ms; ${groups} groups; target ≤ 200 ms`,
      });
    }
  } finally {
    truthClient.release();
    rawClient.release();
    server.close();
    await queue.close();
    await redis.quit();
    await searchPool.end();
    await plannerPool.end();
    await catalog.close();
  }
  figures.write();
  process.exit(0);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
