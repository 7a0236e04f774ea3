import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig } from '@vectorizer/config';
import { createLogger } from '@vectorizer/logger';
import { TEST_REDIS_URL, eventually, uniquePrefix } from '@vectorizer/testing';
import { Runtime } from './runtime';
import { workerPlans } from './worker-plans';
import { superviseWorkers } from './worker-supervision';

const FAKE_WORKER = join(__dirname, '../../supervisor/src/testing/fake-worker.ts');

describe('superviseWorkers --drain (real Redis, a fake worker)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vectorizer-drain-'));
    process.env.FAKE_WORKER_LOG = join(dir, 'events.jsonl');
    await writeFile(process.env.FAKE_WORKER_LOG, '');
  });
  afterAll(async () => {
    delete process.env.FAKE_WORKER_LOG;
    await rm(dir, { recursive: true, force: true });
  });

  /** A drain run whose watch queues are counted as they open and close. */
  async function drainRun(env: Record<string, string>) {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const config = loadConfig({
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: uniquePrefix('drain_watch'),
      WORKER_HEALTH_FILE: join(dir, 'health.json'),
      VECTORIZER_DEVICE: 'cpu',
      ...env,
    });
    const runtime = new Runtime(config, createLogger({ destination: stream, format: 'json' }));
    const openQueues = runtime.openQueues.bind(runtime);
    const queues = { opened: 0, closed: 0 };
    jest.spyOn(runtime, 'openQueues').mockImplementation(async () => {
      const opened = await openQueues();
      queues.opened += 1;
      return {
        ...opened,
        close: async () => {
          await opened.close();
          queues.closed += 1;
        },
      };
    });
    const supervision = superviseWorkers(runtime, {
      plans: await workerPlans(runtime),
      entry: FAKE_WORKER,
      drain: true,
    });
    return { lines, queues, supervision, running: supervision.run() };
  }

  it("closes a failed watch's queue before waiting to retry", async () => {
    // WATCH counts the backlog in Postgres; a database that does not exist fails every watch.
    const { lines, queues, supervision, running } = await drainRun({
      WATCH: 'true',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/vectorizer_no_such_database',
    });
    try {
      await eventually(() => lines.some((line) => line.includes('--drain cannot watch the queue')), 'a failed watch');
      // The first retry waits 2 s: its queue must be closed well before.
      await eventually(() => queues.closed >= 1, "the failed watch's queue closed before the retry", 1_000);
    } finally {
      supervision.stop('test over');
    }
    expect(await running).toBe(0);
    expect(queues.closed).toBe(queues.opened);
  });

  it("has closed the watch's queue when run() returns", async () => {
    const { queues, supervision, running } = await drainRun({ WATCH: 'false' });
    try {
      await eventually(() => queues.opened >= 1, 'the drain watch open');
    } finally {
      supervision.stop('test over');
    }
    expect(await running).toBe(0);
    expect(queues).toEqual({ opened: 1, closed: 1 });
  });
});
