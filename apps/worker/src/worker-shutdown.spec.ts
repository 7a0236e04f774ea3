import { enqueueProducts } from '@vectorizer/queue';
import { ProductsRepository } from '@vectorizer/store';
import { startTcpProxy, type TcpProxy } from '@vectorizer/testing';
import { eventually, startSlowImageServer, useWorkerLab, type WorkerChild } from './test-support/worker-harness';

const SHUTDOWN_TIMEOUT_MS = 4_000;

/**
 * SIGTERM while Postgres or Redis is gone: the worker must still exit within
 * WORKER_SHUTDOWN_TIMEOUT_MS, and nothing it held may be lost — a second worker, once the
 * dependency is back, ends with every product embedded exactly once and nothing failed.
 */
describe('worker shutdown during an outage', () => {
  const lab = useWorkerLab('worker_shutdown', {
    retryPolicy: { attempts: 1, backoffMs: 20 },
    env: {
      // One attempt: any attempt spent on the outage would dead-letter a job.
      JOB_ATTEMPTS: '1',
      WORKER_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      DEPENDENCY_PROBE_TIMEOUT_MS: '1000',
    },
  });
  const startWorker = (env: Record<string, string>): WorkerChild => lab.start(env);

  const rows = async () =>
    (
      await lab.testbed.pool.query<{ n: string; products: string }>(
        'SELECT count(*) AS n, count(DISTINCT product_id) AS products FROM product_embeddings',
      )
    ).rows[0] as { n: string; products: string };

  /** The warn-or-worse lines of a worker's JSON log. */
  const warnings = (output: string): string[] => output.split('\n').filter((line) => /"level":(4|5|6)0/.test(line));

  async function runOutage(dependency: 'postgres' | 'redis'): Promise<void> {
    const images = await startSlowImageServer(200);
    const proxy: TcpProxy = await startTcpProxy({ host: '127.0.0.1', port: dependency === 'postgres' ? 5432 : 6379 });
    try {
      const items = Array.from({ length: 30 }, (_, i) => ({ id: `s${i}`, imageUrl: `${images.origin}/img/${i}.png` }));
      await new ProductsRepository(lab.testbed.pool).upsertMany(items);
      await enqueueProducts({ queue: lab.queue, connection: lab.connection }, items, lab.testbed.model.id);
      const viaProxy: Record<string, string> =
        dependency === 'postgres'
          ? { DATABASE_URL: lab.testbed.db.url.replace(':5432/', `:${proxy.port}/`) }
          : { REDIS_URL: `redis://127.0.0.1:${proxy.port}` };
      const first = startWorker(viaProxy);
      await eventually(async () => Number((await rows()).n) >= 1, 'first rows written');
      await proxy.down();
      await eventually(async () => first.output().includes(`${dependency} is unavailable`), 'worker noticed');
      // Ride the outage for a few probe rounds: the log gets a line per change of state, not per retry.
      const noticedAt = warnings(first.output()).length;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const during = warnings(first.output()).slice(noticedAt);
      console.log(`${dependency} outage: ${during.length} warn/error lines in 3 s after the first`);
      expect(during.length).toBeLessThanOrEqual(2);

      const stopping = Date.now();
      first.child.kill('SIGTERM');
      const code = await first.exited;
      const tookMs = Date.now() - stopping;
      console.log(
        `SIGTERM during a ${dependency} outage: exit ${code} after ${tookMs} ms (deadline ${SHUTDOWN_TIMEOUT_MS})`,
      );
      // The deadline is the contract (a margin for process exit itself); the figure is printed above.
      expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2_000);
      expect([0, 1]).toContain(code);

      await proxy.up();
      const second = startWorker({});
      await eventually(
        async () =>
          (await rows()).products === '30' &&
          (await lab.queue.getJobCountByTypes('waiting', 'active', 'delayed')) === 0,
        'all 30 embedded after the outage',
      );
      expect(await rows()).toEqual({ n: '30', products: '30' });
      expect(await lab.queue.getJobCountByTypes('failed')).toBe(0);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      await proxy.close();
      await images.close();
    }
  }

  it('exits within the deadline during a Postgres outage and loses nothing', () => runOutage('postgres'));
  it('exits within the deadline during a Redis outage and loses nothing', () => runOutage('redis'));
});
