/*
 * `npm run bench:search [-- --rows N --dim D --queries Q --m M --ef-construction C --ef-search 40,100,200
 *                           --data random|clustered --query-kinds random,near --storage vector,halfvec]`:
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
 *
 * --storage (default both): the index of each model's storage kind, built one after the other on the
 * same rows, as the models registry builds them (libs/store/src/model-index.ts): `vector` indexes the
 * float32 column, `halfvec` the expression `embedding::halfvec(D)` (half the index size). Recall of
 * both is measured against the same exact float32 scan, so the halfvec figures include its rounding.
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
  storages: Storage[];
}

type Storage = 'vector' | 'halfvec';

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
  const storages = value('--storage', 'vector,halfvec').split(',') as Storage[];
  if (storages.some((storage) => storage !== 'vector' && storage !== 'halfvec'))
    throw new Error('--storage expects vector and/or halfvec');
  return {
    data,
    queryKinds,
    storages,
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

/** The ORDER BY expression the storage's index serves (the same shape the store's kNN query uses). */
function distanceExpression(storage: Storage, dim: number, query: string): string {
  return storage === 'vector'
    ? `embedding <=> ${query}::vector`
    : `embedding::halfvec(${dim}) <=> ${query}::halfvec(${dim})`;
}

async function timedQueries(
  client: pg.PoolClient,
  queries: string[],
  storage: Storage,
  dim: number,
): Promise<{ ids: number[][]; latenciesMs: number[] }> {
  const ids: number[][] = [];
  const latenciesMs: number[] = [];
  for (const query of queries) {
    const started = performance.now();
    const { rows } = await client.query<{ id: number }>({
      name: `knn-${storage}`,
      text: `SELECT id FROM bench_items ORDER BY ${distanceExpression(storage, dim, '$1')} LIMIT $2`,
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

interface QuerySet {
  kind: QueryKind;
  queries: string[];
  /** The exact float32 answer by a full scan: the ground truth for recall, and the ceiling. */
  exact: { ids: number[][]; p50: number };
}

async function exactAnswers(client: pg.PoolClient, kind: QueryKind, queries: string[], dim: number): Promise<QuerySet> {
  await client.query('SET enable_indexscan = off');
  const exact = await timedQueries(client, queries, 'vector', dim);
  await client.query('SET enable_indexscan = on');
  const sorted = [...exact.latenciesMs].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  console.log(
    `  exact scan, ${kind} queries (${queries.length}): p50 ${p50.toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms`,
  );
  figures.add({ name: `exact scan p50, ${kind} queries`, value: p50, unit: 'ms' });
  return { kind, queries, exact: { ids: exact.ids, p50 } };
}

/**
 * What half precision alone costs: an exact scan ranking by the halfvec expression, against the
 * float32 truth. HNSW recall varies between two builds of the same rows (random levels, parallel
 * build) by more than this, so the index figures alone cannot separate the two effects.
 */
async function halfvecRoundingRecall(client: pg.PoolClient, set: QuerySet, dim: number): Promise<void> {
  await client.query('SET enable_indexscan = off');
  const rounded = await timedQueries(client, set.queries, 'halfvec', dim);
  await client.query('SET enable_indexscan = on');
  const recall = recallAt10(rounded.ids, set.exact.ids);
  console.log(`  halfvec rounding alone (exact scan), ${set.kind} queries: recall@10 ${recall.toFixed(4)}`);
  figures.add({
    name: `halfvec exact-scan recall@10, ${set.kind} queries`,
    value: recall,
    unit: 'recall',
    ceiling: 1,
    ceilingName: 'float32 exact scan',
  });
}

/** Figure names of the vector index stay as they were; halfvec ones say so. */
const storageLabel = (storage: Storage) => (storage === 'vector' ? '' : `, ${storage}`);

async function measure(client: pg.PoolClient, storage: Storage, set: QuerySet, opts: Options): Promise<void> {
  const { kind, queries, exact } = set;
  console.log(`  ${storage} index, ${kind} queries (${queries.length}):`);
  const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT id FROM bench_items ORDER BY ${distanceExpression(storage, opts.dim, `'${queries[0]}'`)} LIMIT ${K}`,
  );
  if (!plan.some((line) => line['QUERY PLAN'].includes(INDEX_NAME))) {
    console.log('    WARNING: the planner does not use the HNSW index; the numbers below are not index numbers');
  }

  console.log('    ef_search   p50 ms   p95 ms   recall@10   p95 ≤ 10 ms   recall ≥ 0.95   exact p50 / HNSW p50');
  for (const ef of opts.efSearch) {
    await client.query(`SET hnsw.ef_search = ${ef}`);
    await timedQueries(client, queries.slice(0, Math.min(50, queries.length)), storage, opts.dim); // warm the cache
    const run = await timedQueries(client, queries, storage, opts.dim);
    const sorted = [...run.latenciesMs].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    const recall = recallAt10(run.ids, exact.ids);
    console.log(
      `    ${String(ef).padStart(9)}   ${p50.toFixed(2).padStart(6)}   ${p95.toFixed(2).padStart(6)}   ${recall.toFixed(4).padStart(9)}   ` +
        `${(p95 <= TARGET_P95_MS ? 'met' : 'MISSED').padStart(11)}   ${(recall >= TARGET_RECALL ? 'met' : 'MISSED').padStart(13)}   ` +
        `${(exact.p50 / p50).toFixed(1).padStart(19)}×`,
    );
    figures.add({
      name: `HNSW p95, ${kind} queries, ef_search ${ef}${storageLabel(storage)}`,
      value: p95,
      unit: 'ms',
      note: `p50 ${p50.toFixed(2)} ms (exact scan p50 ÷ HNSW p50 = ${(exact.p50 / p50).toFixed(1)}×); target ≤ ${TARGET_P95_MS} ms`,
    });
    figures.add({
      name: `HNSW recall@10, ${kind} queries, ef_search ${ef}${storageLabel(storage)}`,
      value: recall,
      unit: 'recall',
      ceiling: 1,
      ceilingName: 'exact scan',
      note: `target ≥ ${TARGET_RECALL}`,
    });
  }
}

/** Builds the storage's HNSW index the way the models registry does; returns seconds and bytes. */
async function buildIndex(
  client: pg.PoolClient,
  storage: Storage,
  opts: Options,
): Promise<{ seconds: number; bytes: number }> {
  const target =
    storage === 'vector' ? 'embedding vector_cosine_ops' : `(embedding::halfvec(${opts.dim})) halfvec_cosine_ops`;
  const started = performance.now();
  await client.query(
    `CREATE INDEX ${INDEX_NAME} ON bench_items USING hnsw (${target}) WITH (m = ${opts.m}, ef_construction = ${opts.efConstruction})`,
  );
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await client.query<{ bytes: string }>(`SELECT pg_relation_size('${INDEX_NAME}') AS bytes`);
  return { seconds, bytes: Number(rows[0].bytes) };
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
    await client.query('VACUUM ANALYZE bench_items');
    const { rows: workers } = await client.query<{ max_parallel_maintenance_workers: string }>(
      'SHOW max_parallel_maintenance_workers',
    );

    const drawQuery = dataSource(opts, 7);
    const noise = gaussianSource(7);
    const sets: QuerySet[] = [];
    for (const kind of opts.queryKinds) {
      const vectors =
        kind === 'random'
          ? Array.from({ length: opts.queries }, drawQuery)
          : samples.map((source) => nearQuery(source, noise));
      sets.push(await exactAnswers(client, kind, vectors.map(literal), opts.dim));
    }
    if (opts.storages.includes('halfvec')) for (const set of sets) await halfvecRoundingRecall(client, set, opts.dim);
    for (const storage of opts.storages) {
      const built = await buildIndex(client, storage, opts);
      console.log(
        `  ${storage} index build: ${built.seconds.toFixed(1)} s, ${(built.bytes / 2 ** 20).toFixed(1)} MiB ` +
          `(max_parallel_maintenance_workers=${workers[0].max_parallel_maintenance_workers})`,
      );
      for (const set of sets) await measure(client, storage, set, opts);
      figures.add({
        name: `HNSW index build, ${opts.rows} × ${opts.dim}-d${storageLabel(storage)}`,
        value: built.seconds,
        unit: 's',
        note: `m=${opts.m}, ef_construction=${opts.efConstruction}`,
      });
      figures.add({
        name: `HNSW index size, ${opts.rows} × ${opts.dim}-d${storageLabel(storage)}`,
        value: built.bytes / 2 ** 20,
        unit: 'MiB',
      });
      await client.query(`DROP INDEX ${INDEX_NAME}`);
    }
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
