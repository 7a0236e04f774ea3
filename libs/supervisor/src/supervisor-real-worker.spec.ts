import { PassThrough } from 'node:stream';
import { ensureDevModel } from '@vectorizer/dev-model';
import { createLogger } from '@vectorizer/logger';
import { planThreads } from '@vectorizer/devices';
import { TEST_DATABASE_URL, TEST_REDIS_URL, DEV_TINY_MODEL_DIR } from '@vectorizer/testing';
import { WorkerSupervisor } from './supervisor';
import { defaultWorkerEntry, repoRoot } from './worker-entry';

const REPO = repoRoot();
const MAIN = defaultWorkerEntry();

jest.setTimeout(60_000);

function databaseUrl(changes: { database?: string }): string {
  const url = new URL(TEST_DATABASE_URL);
  if (changes.database) url.pathname = `/${changes.database}`;
  return url.toString();
}

/** The real worker process (apps/worker/src/main.ts) under the supervisor. */
describe('WorkerSupervisor with the real worker', () => {
  beforeAll(() => ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' }));

  it('under the supervisor, a configuration error is not restarted: one start, one line with the cause', async () => {
    const logLines: string[] = [];
    const output: string[] = [];
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().split('\n').filter(Boolean)));
    const outputStream = new PassThrough();
    outputStream.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
    const supervisor = new WorkerSupervisor({
      plans: [
        {
          device: 'cpu',
          batchSize: 4,
          concurrency: 8,
          threads: planThreads({
            host: { cores: 2, source: 'assigned', availableParallelism: 2 },
            workersOnHost: 1,
            inference: 'cpu',
          }),
          env: { VECTORIZER_DEVICE: 'cpu' },
        },
      ],
      entry: MAIN,
      cwd: REPO,
      baseEnv: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        REDIS_URL: TEST_REDIS_URL,
        DATABASE_URL: databaseUrl({ database: 'vectorizer_startup_missing' }),
        MODEL_DIR: DEV_TINY_MODEL_DIR,
        LOG_FORMAT: 'json',
      },
      logger: createLogger({ destination: logStream, format: 'json' }),
      shutdownTimeoutMs: 10_000,
      output: outputStream,
    });
    await expect(supervisor.run()).resolves.toBe(78);
    const entries = logLines.map((line) => JSON.parse(line));
    expect(entries.filter((entry) => entry.msg === 'worker started')).toHaveLength(1);
    const failures = entries.filter((entry) => entry.level === 'warn' || entry.level === 'error');
    expect(failures[0]).toMatchObject({ level: 'error', code: 78, childCode: 'POSTGRES_DATABASE_MISSING' });
    expect(failures[0].msg).toContain('database "vectorizer_startup_missing" does not exist');
    expect(output).toEqual([]);
  });
});
