import { jobIdFor, WorkerRegistry, type WorkerHeartbeatRecord } from '@vectorizer/queue';
import { ProductsRepository } from '@vectorizer/store';
import { createPipelineMetrics, createRegistry } from '@vectorizer/telemetry';
import { heartbeatFixture } from '@vectorizer/testing';
import request from 'supertest';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';

/** The value of one series in an exposition text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * The facts alerts are written on must be numbers, never missing series: no worker reads 0 live
 * workers, an idle queue an age of 0, and a stopped worker's last counts stay scrapeable.
 */
describe('GET /metrics: facts an alert can carry', () => {
  let harness: ApiHarness;
  const scrape = async (): Promise<string> => (await request(harness.app).get('/metrics').expect(200)).text;

  beforeAll(async () => {
    harness = await createApiHarness();
    // Three products without a vector or a job: pending in Postgres (the queue window left them).
    await new ProductsRepository(harness.appPool).upsertMany(
      ['p1', 'p2', 'p3'].map((id) => ({ id, imageUrl: `https://img.test/${id}.jpg` })),
    );
  });
  afterAll(async () => {
    await harness.close();
  });

  it('reads 0 live workers, an age of 0 and the products pending in Postgres before any worker or job exists', async () => {
    const text = await scrape();
    expect(sample(text, 'vectorizer_live_workers{worker="api"}')).toBe(0);
    expect(sample(text, 'vectorizer_queue_oldest_waiting_seconds{queue="embed",worker="api"}')).toBe(0);
    expect(sample(text, 'vectorizer_pending_in_postgres{worker="api"}')).toBe(3);
    // The harness searches with the tiny dev model outside production.
    expect(
      sample(
        text,
        `vectorizer_model_info{model="${harness.model.id}",dev_model="true",production="false",worker="api"}`,
      ),
    ).toBe(1);
  });

  it("reads the age of the next job to run from the wait list's head, however many wait", async () => {
    const added = (id: string, ageMs: number) => ({
      name: 'embed',
      data: { productId: id, imageUrl: `https://img.test/${id}.jpg`, model: 'm', enqueuedAt: new Date().toISOString() },
      opts: { jobId: jobIdFor(id, `https://img.test/${id}.jpg`, 'm'), timestamp: Date.now() - ageMs },
    });
    // The oldest is added first (BullMQ runs the wait list first in, first out).
    await harness.queues.embed.addBulk([added('old', 120_000), added('new', 1_000)]);
    try {
      const age = sample(await scrape(), 'vectorizer_queue_oldest_waiting_seconds{queue="embed",worker="api"}');
      expect(age).toBeGreaterThanOrEqual(119);
      expect(age).toBeLessThan(180);
    } finally {
      await harness.queues.embed.obliterate({ force: true });
    }
    expect(sample(await scrape(), 'vectorizer_queue_oldest_waiting_seconds{queue="embed",worker="api"}')).toBe(0);
  });

  it("keeps a stopped worker's final counts (not its gauges), reads its device as 0 live and counts its start", async () => {
    const workerRegistry = createRegistry({ labels: { worker: 'w-final' } });
    const metrics = createPipelineMetrics(workerRegistry);
    const workers = new WorkerRegistry(harness.redis, harness.prefix);
    const snapshot = async () => JSON.stringify(await workerRegistry.getMetricsAsJSON());
    metrics.jobsCompleted.inc(36);
    metrics.workerPaused.set(1);
    const finalRecord: WorkerHeartbeatRecord = JSON.parse(heartbeatFixture('w-final', 'm'));
    await workers.beat(finalRecord, { ttlMs: 60_000, metricsJson: await snapshot() });
    let text = await scrape();
    expect(sample(text, 'vectorizer_jobs_completed_total{worker="w-final"}')).toBe(36);
    expect(sample(text, 'vectorizer_live_workers{device="cuda:0",worker="api"}')).toBe(1);
    expect(sample(text, 'vectorizer_worker_starts_total{device="cuda:0",worker="api"}')).toBe(1);

    // The drain's last seconds, then the worker stops: its final snapshot goes with it.
    metrics.jobsCompleted.inc(4);
    await workers.retire('w-final', { metricsJson: await snapshot() });
    text = await scrape();
    expect(sample(text, 'vectorizer_jobs_completed_total{worker="w-final"}')).toBe(40);
    expect(sample(text, 'vectorizer_worker_paused{worker="w-final"}')).toBeUndefined();
    expect(sample(text, 'vectorizer_live_workers{device="cuda:0",worker="api"}')).toBe(0);
    expect(sample(text, 'vectorizer_live_workers{worker="api"}')).toBeUndefined();

    // The same process beating again (back after a Redis outage) is not a new start; the supervisor
    // restarting the device's worker under the same id is one, and so is a new id.
    await workers.beat(finalRecord, { ttlMs: 60_000 });
    text = await scrape();
    expect(sample(text, 'vectorizer_worker_starts_total{device="cuda:0",worker="api"}')).toBe(1);
    await workers.beat({ ...finalRecord, pid: finalRecord.pid + 1 }, { ttlMs: 60_000 });
    await workers.beat(JSON.parse(heartbeatFixture('w-next', 'm')), { ttlMs: 60_000 });
    text = await scrape();
    expect(sample(text, 'vectorizer_worker_starts_total{device="cuda:0",worker="api"}')).toBe(3);
    expect(sample(text, 'vectorizer_live_workers{device="cuda:0",worker="api"}')).toBe(2);
  });
});
