/*
 * `npm run bench:search [-- --rows N --dim D --queries Q --m M --ef-construction C --ef-search 40,100,200
 *                           --data random|clustered --query-kinds random,near]`:
 * loads N unit vectors (default 100,000 × 768) into a fresh database, builds the HNSW index the way
 * migrations do (vector_cosine_ops, after the load, maintenance_work_mem 1 GB), then runs Q queries
 * (default 500) per ef_search value and prints p50/p95 latency of the production query shape and
 * recall@10 against an exact scan of the same query with index scans disabled. The ceiling,
 * measured in the same run, is that exact scan: the ratio says what the index buys. Targets
 * (printed, not asserted): p95 ≤ 10 ms, recall@10 ≥ 0.95.
 *
 * --data clustered (default): 1000 centres plus noise, closer to real image embeddings (a catalog's
 * SigLIP vectors cluster by product kind). --data random: isotropic random unit vectors, the worst
 * case for any graph index — every point's 10 nearest neighbours are barely closer than the rest,
 * so recall@10 collapses as N grows; run it to see that floor, not to judge the index settings.
 * Query kinds: "random" draws fresh vectors from the data's distribution; "near" takes catalog
 * vectors plus noise (cosine ≈ 0.92 to their source) — "find this product or its look-alikes".
 */
import { performance } from 'node:perf_hooks';
import { createTestDatabase } from '@vectorizer/testing';
import pg from 'pg';
import { BenchFigures } from '../libs/embedder/bench/support/bench-json';

const TARGET_P95_MS = 10;
const TARGET_RECALL = 0.95;
const K = 10;
const INDEX_NAME = 'bench_items_embedding_hnsw';

interface Options {
  rows: number;
  dim: number;
  queries: number;
  m: number;
  efConstruction: number;
  efSearch: number[];
  queryKinds: QueryKind[];
  data: DataKind;
}

/** random: isotropic unit vectors (the worst case); clustered: 1000 centres + noise, like real embeddings. */
type DataKind = 'random' | 'clustered';
const CLUSTERS = 1_000;
/** Per-dimension noise around a centre in 768-d: cosine ≈ 0.8 to the centre, ≈ 0.65 between members. */
const CLUSTER_NOISE = 0.75;

type QueryKind = 'random' | 'near';

function parseOptions(argv: string[]): Options {
  const value = (flag: string, fallback: string) => {
    const index = argv.indexOf(flag);
    return index === -1 ? fallback : (argv[index + 1] ?? '');
  };
  const whole = (flag: string, fallback: number, min = 1) => {
    const n = Number(value(flag, String(fallback)));
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} expects a whole number >= ${min}`);
    return n;
  };
  const efSearch = value('--ef-search', '40,100,200').split(',').map(Number);
  if (efSearch.some((n) => !Number.isInteger(n) || n < K || n > 1000))
    throw new Error(`--ef-search expects whole numbers from ${K} to 1000`);
  const queryKinds = value('--query-kinds', 'random,near').split(',') as QueryKind[];
  if (queryKinds.some((kind) => kind !== 'random' && kind !== 'near'))
    throw new Error('--query-kinds expects random and/or near');
  const data = value('--data', 'clustered') as DataKind;
  if (data !== 'random' && data !== 'clustered') throw new Error('--data expects random or clustered');
  return {
    data,
    queryKinds,
    rows: whole('--rows', 100_000),
    dim: whole('--dim', 768),
    queries: whole('--queries', 500),
    m: whole('--m', 16, 2),
    efConstruction: whole('--ef-construction', 64, 4),
    efSearch,
  };
}

/** Deterministic Gaussian samples (xorshift + Box–Muller): the same data set every run. */
function gaussianSource(seed: number): () => number {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4_294_967_296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Normalised Gaussian vectors are uniformly distributed on the unit sphere. */
function randomUnitVector(dim: number, next: () => number): number[] {
  const v = Array.from({ length: dim }, next);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** Draws vectors of the data set's distribution; the same sequence every run. */
function dataSource(opts: Options, seed: number): () => number[] {
  const next = gaussianSource(seed);
  if (opts.data === 'random') return () => randomUnitVector(opts.dim, next);
  const centreSource = gaussianSource(1_000_003);
  const centres = Array.from({ length: CLUSTERS }, () => randomUnitVector(opts.dim, centreSource));
  const sigma = CLUSTER_NOISE / Math.sqrt(opts.dim);
  let pick = seed;
  return () => {
    pick = (pick * 1_103_515_245 + 12_345) % 2_147_483_648;
    const centre = centres[pick % CLUSTERS];
    const v = centre.map((x) => x + sigma * next());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
}

const literal = (v: number[]) => `[${v.map((x) => x.toPrecision(7)).join(',')}]`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Loads the vectors; returns the seconds it took and every (rows / queries)-th vector, for near queries. */
async function load(client: pg.PoolClient, opts: Options): Promise<{ seconds: number; samples: number[][] }> {
  const started = performance.now();
  const draw = dataSource(opts, 42);
  const sampleEvery = Math.max(1, Math.floor(opts.rows / opts.queries));
  const samples: number[][] = [];
  let statements = 0;
  // Multi-row INSERTs of ~4 MB each: big enough to amortise round trips, small enough for memory.
  const perStatement = Math.max(1, Math.floor(500_000 / opts.dim));
  for (let first = 1; first <= opts.rows; first += perStatement) {
    const count = Math.min(perStatement, opts.rows - first + 1);
    const params: string[] = [];
    const values: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const vector = draw();
      if ((first + i) % sampleEvery === 0 && samples.length < opts.queries) samples.push(vector);
      params.push(literal(vector));
      values.push(`(${first + i}, $${i + 1}::vector)`);
    }
    await client.query(`INSERT INTO bench_items (id, embedding) VALUES ${values.join(',')}`, params);
    statements += 1;
    if (statements % 20 === 0) process.stdout.write(`\r  loaded ${first - 1 + count} / ${opts.rows}`);
  }
  process.stdout.write('\r');
  return { seconds: (performance.now() - started) / 1000, samples };
}

/** A catalog vector moved by Gaussian noise (per-dimension sigma 0.015: cosine ≈ 0.92 in 768-d). */
function nearQuery(source: number[], next: () => number): number[] {
  const moved = source.map((x) => x + 0.015 * next());
  const norm = Math.hypot(...moved);
  return moved.map((x) => x / norm);
}

async function timedQueries(
  client: pg.PoolClient,
  queries: string[],
): Promise<{ ids: number[][]; latenciesMs: number[] }> {
  const ids: number[][] = [];
  const latenciesMs: number[] = [];
  for (const query of queries) {
    const started = performance.now();
    const { rows } = await client.query<{ id: number }>({
      name: 'knn',
      text: 'SELECT id FROM bench_items ORDER BY embedding <=> $1::vector LIMIT $2',
      values: [query, K],
    });
    latenciesMs.push(performance.now() - started);
    ids.push(rows.map((row) => Number(row.id)));
  }
  return { ids, latenciesMs };
}

function recallAt10(found: number[][], exact: number[][]): number {
  let hits = 0;
  let total = 0;
  found.forEach((ids, i) => {
    const truth = new Set(exact[i]);
    hits += ids.filter((id) => truth.has(id)).length;
    total += truth.size;
  });
  return hits / total;
}

const figures = new BenchFigures('search');

async function measure(client: pg.PoolClient, kind: QueryKind, queries: string[], efSearch: number[]): Promise<void> {
  console.log(`  ${kind} queries (${queries.length}):`);
  // The ceiling: the exact answer by a full scan (also the ground truth for recall).
  await client.query('SET enable_indexscan = off');
  const exact = await timedQueries(client, queries);
  await client.query('SET enable_indexscan = on');
  const exactSorted = [...exact.latenciesMs].sort((a, b) => a - b);
  const exactP50 = percentile(exactSorted, 50);
  console.log(`    exact scan: p50 ${exactP50.toFixed(1)} ms, p95 ${percentile(exactSorted, 95).toFixed(1)} ms`);
  figures.add({ name: `exact scan p50, ${kind} queries`, value: exactP50, unit: 'ms' });

  const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT id FROM bench_items ORDER BY embedding <=> '${queries[0]}'::vector LIMIT ${K}`,
  );
  if (!plan.some((line) => line['QUERY PLAN'].includes(INDEX_NAME))) {
    console.log('    WARNING: the planner does not use the HNSW index; the numbers below are not index numbers');
  }

  console.log('    ef_search   p50 ms   p95 ms   recall@10   p95 ≤ 10 ms   recall ≥ 0.95   exact p50 / HNSW p50');
  for (const ef of efSearch) {
    await client.query(`SET hnsw.ef_search = ${ef}`);
    await timedQueries(client, queries.slice(0, Math.min(50, queries.length))); // warm the cache
    const run = await timedQueries(client, queries);
    const sorted = [...run.latenciesMs].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    const recall = recallAt10(run.ids, exact.ids);
    console.log(
      `    ${String(ef).padStart(9)}   ${p50.toFixed(2).padStart(6)}   ${p95.toFixed(2).padStart(6)}   ${recall.toFixed(4).padStart(9)}   ` +
        `${(p95 <= TARGET_P95_MS ? 'met' : 'MISSED').padStart(11)}   ${(recall >= TARGET_RECALL ? 'met' : 'MISSED').padStart(13)}   ` +
        `${(exactP50 / p50).toFixed(1).padStart(19)}×`,
    );
    figures.add({
      name: `HNSW p95, ${kind} queries, ef_search ${ef}`,
      value: p95,
      unit: 'ms',
      note: `p50 ${p50.toFixed(2)} ms (exact scan p50 ÷ HNSW p50 = ${(exactP50 / p50).toFixed(1)}×); target ≤ ${TARGET_P95_MS} ms`,
    });
    figures.add({
      name: `HNSW recall@10, ${kind} queries, ef_search ${ef}`,
      value: recall,
      unit: 'recall',
      ceiling: 1,
      ceilingName: 'exact scan',
      note: `target ≥ ${TARGET_RECALL}`,
    });
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  // --quick: a smaller data set unless --rows / --queries say otherwise.
  const argv = quick ? ['--rows', '20000', '--queries', '200', ...process.argv.slice(2)] : process.argv.slice(2);
  const opts = parseOptions(argv);
  console.log(
    `bench:search — ${opts.rows} × ${opts.dim}-d ${opts.data === 'random' ? 'random' : `clustered (${CLUSTERS} centres)`} unit vectors, ${opts.queries} queries, k=${K}, HNSW m=${opts.m} ef_construction=${opts.efConstruction}`,
  );
  const database = await createTestDatabase('bench_search');
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  const client = await pool.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    await client.query(`CREATE TABLE bench_items (id int PRIMARY KEY, embedding vector(${opts.dim}) NOT NULL)`);
    const { seconds: loadSeconds, samples } = await load(client, opts);
    console.log(`  load: ${loadSeconds.toFixed(1)} s (${Math.round(opts.rows / loadSeconds)} rows/s)`);

    // Built after the load (much faster than maintaining it row by row); 1 GB keeps the graph in memory.
    await client.query("SET maintenance_work_mem = '1GB'");
    const buildStarted = performance.now();
    await client.query(
      `CREATE INDEX ${INDEX_NAME} ON bench_items USING hnsw (embedding vector_cosine_ops) WITH (m = ${opts.m}, ef_construction = ${opts.efConstruction})`,
    );
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    const { rows: workers } = await client.query<{ max_parallel_maintenance_workers: string }>(
      'SHOW max_parallel_maintenance_workers',
    );
    console.log(
      `  index build: ${buildSeconds.toFixed(1)} s (max_parallel_maintenance_workers=${workers[0].max_parallel_maintenance_workers})`,
    );
    await client.query('VACUUM ANALYZE bench_items');

    const drawQuery = dataSource(opts, 7);
    const noise = gaussianSource(7);
    for (const kind of opts.queryKinds) {
      const vectors =
        kind === 'random'
          ? Array.from({ length: opts.queries }, drawQuery)
          : samples.map((source) => nearQuery(source, noise));
      await measure(client, kind, vectors.map(literal), opts.efSearch);
    }
    figures.add({
      name: `HNSW index build, ${opts.rows} × ${opts.dim}-d`,
      value: buildSeconds,
      unit: 's',
      note: `m=${opts.m}, ef_construction=${opts.efConstruction}`,
    });
    figures.write();
  } finally {
    client.release();
    await pool.end();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
