import { argValue } from '../../libs/embedder/bench/support/bench-json';
/*
 * The catalog bench:search and bench:filtered-search measure: N products × D-d vectors clustered
 * like real image embeddings (200 centres plus noise), with attributes independent of the clusters:
 * `segment` (5 values: 20% each), `category` (20 values: 5%), `brand` (100 values: 1%), and for the
 * planner's threshold sweep `zone` (33 values: 3%) and `band` (50 values: 2%).
 *
 * Building a 100k × 768 HNSW index takes minutes on 2 cores, so the catalog lives in its own
 * database (`vectorizer_bench_search_<rows>_<dim>`), generated once and reused by every later run.
 * Each run migrates it with the production migrations (new ones apply to it like to any database)
 * and rebuilds the HNSW index only when the production index definition changed since.
 */
import { performance } from 'node:perf_hooks';
import { EmbeddingsRepository, ProductsRepository, createPool, modelIndexName, runMigrations } from '@vectorizer/store';
import { TEST_DATABASE_URL } from '@vectorizer/testing';
import pg from 'pg';

export const BENCH_MODEL = 'bench/search-catalog';
export const CENTRES = 200;
/** Per-dimension noise around a centre: cosine ≈ 0.8 to the centre in 768-d. */
const CENTRE_NOISE = 0.75;

export interface BenchFilter {
  label: string;
  filter: Record<string, string> | undefined;
  share: number;
}

/** What bench:search reports: no filter and the three filter sizes of the issue. */
export const FILTERS: readonly BenchFilter[] = [
  { label: 'no filter', filter: undefined, share: 1 },
  { label: 'segment (20%)', filter: { segment: 's2' }, share: 0.2 },
  { label: 'category (5%)', filter: { category: 'c3' }, share: 0.05 },
  { label: 'brand (1%)', filter: { brand: 'b42' }, share: 0.01 },
];

/** The planner's threshold sweep (bench:filtered-search): from 0.2% to 20% of the catalog. */
export const SWEEP_FILTERS: readonly BenchFilter[] = [
  { label: 'brand+segment (0.2%)', filter: { brand: 'b42', segment: 's2' }, share: 0.002 },
  { label: 'brand (1%)', filter: { brand: 'b42' }, share: 0.01 },
  { label: 'band (2%)', filter: { band: 'n7' }, share: 0.02 },
  { label: 'zone (3%)', filter: { zone: 'z5' }, share: 1 / 33 },
  { label: 'category (5%)', filter: { category: 'c3' }, share: 0.05 },
  { label: 'segment (20%)', filter: { segment: 's2' }, share: 0.2 },
];

/** Deterministic uniform (0, 1) samples (xorshift32). */
function uniformSource(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4_294_967_296;
  };
}

function gaussianSource(seed: number): () => number {
  const uniform = uniformSource(seed);
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function normalised(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  return v.map((x) => x / norm);
}

/** Vectors around CENTRES fixed centres; `seed` picks the sequence (catalog or queries). */
export function clusteredVectors(dim: number, seed: number): () => Float32Array {
  const centreNoise = gaussianSource(1_000_003);
  const centres = Array.from({ length: CENTRES }, () => normalised(Float32Array.from({ length: dim }, centreNoise)));
  const noise = gaussianSource(seed);
  const pick = uniformSource(seed * 31 + 7);
  const sigma = CENTRE_NOISE / Math.sqrt(dim);
  return () => {
    const centre = centres[Math.floor(pick() * CENTRES)] as Float32Array;
    return normalised(centre.map((x) => x + sigma * noise()));
  };
}

/** Attributes drawn independently of the vector's cluster (their own random sequence). */
function attributeSource(seed: number): () => Record<string, string> {
  const uniform = uniformSource(seed);
  return () => ({
    segment: `s${Math.floor(uniform() * 5)}`,
    category: `c${Math.floor(uniform() * 20)}`,
    brand: `b${Math.floor(uniform() * 100)}`,
  });
}

export interface BenchCatalog {
  url: string;
  pool: pg.Pool;
  rows: number;
  dim: number;
  /** The production index definition the catalog's HNSW index was built with. */
  indexDefinition: string;
  close(): Promise<void>;
}

/** Opens (generating on first use) the catalog of `rows` × `dim`; logs what it does to `log`. */
export async function openBenchCatalog(
  rows: number,
  dim: number,
  log: (line: string) => void = console.log,
): Promise<BenchCatalog> {
  const name = `vectorizer_bench_search_${rows}_${dim}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const catalogUrl = new URL(TEST_DATABASE_URL);
  catalogUrl.pathname = `/${name}`;
  const url = catalogUrl.href;
  // Index builds at 100k take minutes: beyond the production statement timeout.
  const pool = createPool(url, { max: 4, statementTimeoutMs: 3_600_000 });
  await runMigrations(pool, { model: { id: BENCH_MODEL, dimension: dim } });
  await pool.query('CREATE TABLE IF NOT EXISTS bench_catalog (rows int NOT NULL, dim int NOT NULL, index_def text)');
  const index = modelIndexName(BENCH_MODEL);
  const { rows: defs } = await pool.query<{ indexdef: string }>(
    'SELECT indexdef FROM pg_indexes WHERE indexname = $1',
    [index],
  );
  const indexDefinition = defs[0]?.indexdef ?? '';
  const { rows: marks } = await pool.query<{ rows: number; dim: number; index_def: string | null }>(
    'SELECT rows, dim, index_def FROM bench_catalog',
  );
  const mark = marks[0];
  if (!mark || mark.rows !== rows || mark.dim !== dim) {
    log(`  generating the catalog (${rows} × ${dim}-d) into database ${name} (once; later runs reuse it)`);
    await pool.query(`DROP INDEX IF EXISTS ${index}`);
    await pool.query('TRUNCATE products CASCADE');
    await pool.query('DELETE FROM bench_catalog');
    const started = performance.now();
    const draw = clusteredVectors(dim, 42);
    const attributes = attributeSource(4242);
    const products = new ProductsRepository(pool);
    const embeddings = new EmbeddingsRepository(pool);
    const page = 5_000;
    for (let first = 0; first < rows; first += page) {
      const ids = Array.from({ length: Math.min(page, rows - first) }, (_, i) => first + i);
      await products.upsertMany(
        ids.map((i) => ({ id: `p${i}`, imageUrl: `https://img.example/${i}.jpg`, attributes: attributes() })),
      );
      await embeddings.upsertMany(
        ids.map((i) => ({
          productId: `p${i}`,
          model: BENCH_MODEL,
          embedding: draw(),
          imageUrl: `https://img.example/${i}.jpg`,
          imageSha256: i.toString(16).padStart(64, '0'),
        })),
      );
    }
    log(`  loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await pool.query('INSERT INTO bench_catalog (rows, dim, index_def) VALUES ($1, $2, NULL)', [rows, dim]);
  }
  const built = (await pool.query<{ index_def: string | null }>('SELECT index_def FROM bench_catalog')).rows[0]
    ?.index_def;
  if (built !== indexDefinition) {
    log(`  building the HNSW index: ${indexDefinition}`);
    const started = performance.now();
    const client = await pool.connect();
    try {
      await client.query(`DROP INDEX IF EXISTS ${index}`);
      await client.query("SET maintenance_work_mem = '2GB'");
      await client.query(indexDefinition);
    } finally {
      client.release();
    }
    await pool.query('UPDATE bench_catalog SET index_def = $1', [indexDefinition]);
    log(`  index built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const swept = await pool.query("SELECT 1 FROM products WHERE attributes ? 'band' LIMIT 1");
  if (swept.rowCount === 0) {
    log('  adding the sweep attributes (zone, band)');
    // From a hash of the id: independent of the clusters and of the other attributes. Triggers off
    // (replica role): the image-change notification joins its transition tables row by row, which
    // takes minutes for one statement over 100k products, and no image changes here.
    const client = await pool.connect();
    try {
      await client.query('SET session_replication_role = replica');
      await client.query(`
        UPDATE products SET attributes = attributes || jsonb_build_object(
          'zone', 'z' || (('x' || substr(md5(id || 'zone'), 1, 7))::bit(28)::int % 33),
          'band', 'n' || (('x' || substr(md5(id || 'band'), 1, 7))::bit(28)::int % 50))`);
    } finally {
      await client.query('RESET session_replication_role');
      client.release();
    }
  }
  await pool.query('VACUUM ANALYZE products');
  await pool.query('VACUUM ANALYZE product_embeddings');
  return { url, pool, rows, dim, indexDefinition, close: () => pool.end() };
}

/** `--NAME N` as a positive whole number, or `fallback` when absent. */
export function wholeArg(name: string, fallback: number): number {
  const value = Number(argValue(name) ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive whole number`);
  return value;
}

/** The size both search benches run at: `--quick` 20k rows and 40 queries, else 100k and 60; `--rows`/`--queries` override. */
export function searchBenchSize(): { quick: boolean; rows: number; queries: number } {
  const quick = process.argv.includes('--quick');
  return { quick, rows: wholeArg('rows', quick ? 20_000 : 100_000), queries: wholeArg('queries', quick ? 40 : 60) };
}
