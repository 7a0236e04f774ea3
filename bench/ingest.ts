/*
 * `npm run bench:ingest [-- --lines N]`: generates an N-line JSONL catalog (default 1,000,000) in
 * tmp/bench/, runs the real `vectorizer ingest` against a fresh database and a private redis-server,
 * and prints lines/s, total seconds and the CLI's peak RSS against the targets (≤ 60 s, < 300 MB).
 * The ceiling, measured in the same run, is reading + JSON-parsing the same file without any I/O to
 * the services; the ratio says how much of the time goes to Postgres and Redis.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { createPool, runMigrations } from '@vectorizer/store';
import { createTestDatabase, startRedisServer, uniquePrefix } from '@vectorizer/testing';
import { BenchFigures } from '../libs/embedder/bench/support/bench-json';

const ROOT = join(__dirname, '..');
const TARGET_SECONDS = 60;
const TARGET_RSS_MB = 300;

function parseLines(argv: string[]): number {
  const index = argv.indexOf('--lines');
  const lines = index === -1 ? (argv.includes('--quick') ? 100_000 : 1_000_000) : Number(argv[index + 1]);
  if (!Number.isInteger(lines) || lines < 1) throw new Error('--lines expects a positive whole number');
  return lines;
}

async function generateCatalog(file: string, lines: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 1; i <= lines; i += 1) {
    const line = `{"id":"p${String(i).padStart(8, '0')}","image_url":"https://cdn.example.com/img/${i % 997}/${i}.jpg","title":"Product ${i}","brand":"B${i % 50}","price":${(i % 1000) / 10}}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function readCeilingSeconds(file: string): Promise<number> {
  const started = process.hrtime.bigint();
  let count = 0;
  for await (const line of createInterface({
    input: createReadStream(file, { highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  })) {
    if (JSON.parse(line)) count += 1;
  }
  if (count === 0) throw new Error('empty catalog');
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function runIngest(
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        // The CLI loads tsx itself; loading it first only lets the RSS reporter be TypeScript too.
        '--require',
        require.resolve('tsx/cjs'),
        '--require',
        join(__dirname, 'report-max-rss.ts'),
        join(ROOT, 'bin/vectorizer.js'),
        'ingest',
        file,
        '--model',
        'bench/model',
        '--json',
      ],
      {
        env,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  const lines = parseLines(process.argv.slice(2));
  const dir = join(ROOT, 'tmp', 'bench');
  await mkdir(dir, { recursive: true });
  const catalog = join(dir, `catalog-${lines}.jsonl`);
  const rssFile = join(dir, 'ingest-max-rss');
  process.stdout.write(`generating ${lines} lines into ${catalog}\n`);
  await generateCatalog(catalog, lines);
  const sizeMb = (await stat(catalog)).size / 1024 / 1024;

  const db = await createTestDatabase('bench_ingest');
  const redis = await startRedisServer();
  try {
    const pool = createPool(db.url, { max: 1 });
    await runMigrations(pool, {});
    await pool.end();

    const ceiling = await readCeilingSeconds(catalog);
    const started = process.hrtime.bigint();
    const run = await runIngest(catalog, {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniquePrefix('bench'),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      BENCH_MAX_RSS_FILE: rssFile,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.code !== 0) throw new Error(`ingest exited ${run.code}:\n${run.stderr}`);
    const summary = JSON.parse(run.stdout) as { products: number; enqueued: number; malformed: number };
    const rssMb = Number(await readFile(rssFile, 'utf8')) / 1024 / 1024;
    const report = {
      lines,
      fileMb: Number(sizeMb.toFixed(1)),
      products: summary.products,
      enqueued: summary.enqueued,
      malformed: summary.malformed,
      seconds: Number(seconds.toFixed(2)),
      linesPerSecond: Math.round(lines / seconds),
      peakRssMb: Number(rssMb.toFixed(1)),
      readParseCeilingSeconds: Number(ceiling.toFixed(2)),
      ratioToReadParseCeiling: Number((seconds / ceiling).toFixed(1)),
      secondsVsTarget: `${seconds.toFixed(1)} / ${TARGET_SECONDS} s (${((100 * seconds) / TARGET_SECONDS).toFixed(0)} %)`,
      rssVsTarget: `${rssMb.toFixed(0)} / ${TARGET_RSS_MB} MB (${((100 * rssMb) / TARGET_RSS_MB).toFixed(0)} %)`,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const figures = new BenchFigures('ingest');
    figures.add({
      name: `ingest + enqueue, ${lines} catalog lines`,
      value: lines / seconds,
      unit: 'lines/s',
      ceiling: lines / ceiling,
      ceilingName: 'read + parse the file alone',
      note: `${seconds.toFixed(1)} s; target ${TARGET_SECONDS} s per 1M lines`,
    });
    figures.add({ name: 'ingest peak RSS', value: rssMb, unit: 'MB', note: `target ≤ ${TARGET_RSS_MB} MB` });
    figures.write();
  } finally {
    await redis.stop();
    await db.drop();
    await rm(rssFile, { force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:ingest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
