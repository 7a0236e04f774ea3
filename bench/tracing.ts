/**
 * `npm run bench:tracing [-- --products 300 --rounds 2]`: what tracing costs a drain. Each round
 * drains the same demo catalog twice through `vectorizer worker --drain` (tiny dev model, CPU, one
 * inference thread), once with tracing off and once exporting http/protobuf to an OTLP receiver on
 * loopback that reads and drops every request; the order alternates between rounds. Each drain gets
 * a fresh database and queue prefix, so neither reuses the other's vectors. Run it alone:
 * `flock /tmp/vectorizer-heavy.lock npm run bench:tracing`.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel, writeDemoCatalog } from '@vectorizer/dev-model';
import { createTestDatabase, DEV_TINY_MODEL_DIR, TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';

const ROOT = join(__dirname, '..');
const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};

function vectorizer(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/vectorizer.js'), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 600_000 },
      (error, _stdout, stderr) => (error ? reject(new Error(`${args.join(' ')}: ${stderr}`)) : resolve()),
    );
  });
}

async function main(): Promise<void> {
  const products = arg('products', 300);
  const rounds = arg('rounds', 2);
  let exported = 0;
  const receiver = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (exported += chunk.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  await ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' });
  const dir = await mkdtemp(join(tmpdir(), 'bench-tracing-'));
  const catalog = await writeDemoCatalog(dir, products);
  const rates: Record<'off' | 'on', number[]> = { off: [], on: [] };
  try {
    for (let round = 0; round < rounds; round += 1) {
      const order: ('off' | 'on')[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const mode of order) {
        const db = await createTestDatabase('bench_tracing');
        try {
          const env: Record<string, string> = {
            DATABASE_URL: db.url,
            REDIS_URL: TEST_REDIS_URL,
            QUEUE_PREFIX: uniquePrefix('bench-tracing'),
            MODEL_DIR: DEV_TINY_MODEL_DIR,
            IMAGE_FILE_ROOT: dir,
            VECTORIZER_DEVICE: 'cpu',
            INFERENCE_THREADS: '1',
            WATCH: 'false',
            LOG_LEVEL: 'warn',
            LOG_FORMAT: 'json',
            ...(mode === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } : {}),
          };
          await vectorizer(['migrate'], env);
          await vectorizer(['ingest', catalog], env);
          const started = process.hrtime.bigint();
          await vectorizer(['worker', '--drain'], env);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          rates[mode].push(products / seconds);
          process.stdout.write(
            `round ${round + 1} tracing ${mode.padEnd(3)}: ${products} products drained in ${seconds.toFixed(1)} s = ${(products / seconds).toFixed(1)} products/s\n`,
          );
        } finally {
          await db.drop();
        }
      }
    }
  } finally {
    receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  };
  const off = median(rates.off);
  const on = median(rates.on);
  process.stdout.write(
    `median: off ${off.toFixed(1)} products/s, on ${on.toFixed(1)} products/s: tracing costs ${(((off - on) / off) * 100).toFixed(1)}% ` +
      `(${(exported / 1024).toFixed(0)} KiB of OTLP exported; drain wall time includes the worker's start-up)\n`,
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
