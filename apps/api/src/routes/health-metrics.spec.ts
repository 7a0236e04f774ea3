import { createPipelineMetrics, createRegistry } from '@vectorizer/telemetry';
import request from 'supertest';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';
import { type TcpProxy, heartbeatFixture, startTcpProxy } from '@vectorizer/testing';

let proxy: TcpProxy;
let harness: ApiHarness;

beforeAll(async () => {
  // The app reaches Postgres through a proxy this file controls; the shared server is never stopped.
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
  const harnessUrl = `postgres://postgres@127.0.0.1:${proxy.port}/test`;
  harness = await createApiHarness({ appDatabaseUrl: harnessUrl, readinessTimeoutMs: 2_000 });
});

afterAll(async () => {
  await harness.close();
  await proxy.down();
});

describe('GET /healthz', () => {
  it('answers 200 while the process runs', async () => {
    const res = await request(harness.app).get('/healthz').expect(200);
    expect(res.body.status).toBe('ok');
  });
});

describe('GET /readyz', () => {
  it('is 503 naming the missing worker while no worker heartbeats', async () => {
    const res = await request(harness.app).get('/readyz').expect(503);
    expect(res.body.status).toBe('fail');
    expect(res.body.checks.workers.status).toBe('fail');
    expect(res.body.checks.redis.status).toBe('ok');
    expect(res.body.checks.schema.status).toBe('ok');
  });

  it('is 200 with every check ok once a worker heartbeats, and flips to 503 while Postgres is unreachable', async () => {
    await harness.redis.set(`${harness.prefix}:workers:w1`, heartbeatFixture('w1', harness.model.id), 'PX', 60_000);
    const ready = await request(harness.app).get('/readyz').expect(200);
    expect(Object.keys(ready.body.checks).sort()).toEqual(['pgvector', 'postgres', 'redis', 'schema', 'workers']);
    expect(Object.values(ready.body.checks).every((c) => (c as { status: string }).status === 'ok')).toBe(true);
    expect(ready.body.checks.workers.detail).toContain('w1 on cuda:0');
    expect(ready.body.checks.workers.detail).toContain(harness.model.id);

    await proxy.down();
    const down = await request(harness.app).get('/readyz').expect(503);
    expect(down.body.checks.postgres.status).toBe('fail');
    expect(down.body.checks.redis.status).toBe('ok');

    await proxy.up();
    await request(harness.app).get('/readyz').expect(200);
  });

  it('warns, without failing, when a live worker embeds with another model than the API searches', async () => {
    await harness.redis.set(`${harness.prefix}:workers:w2`, heartbeatFixture('w2', 'org/other-model'), 'PX', 60_000);
    try {
      const res = await request(harness.app).get('/readyz').expect(200);
      expect(res.body.checks.workers.status).toBe('warn');
      expect(res.body.checks.workers.detail).toContain(`a model other than ${harness.model.id}`);
    } finally {
      await harness.redis.del(`${harness.prefix}:workers:w2`);
    }
  });
});

describe('GET /metrics', () => {
  it("merges the workers' published metrics with queue depth and the API's process metrics", async () => {
    const workerRegistry = createRegistry({ labels: { worker: 'w1' } });
    const metrics = createPipelineMetrics(workerRegistry);
    metrics.jobsCompleted.inc(5);
    metrics.jobsDeadLettered.inc({ code: 'FETCH_HTTP_404' });
    metrics.batchSize.observe(8);
    await harness.redis.set(
      `${harness.prefix}:metrics:w1`,
      JSON.stringify(await workerRegistry.getMetricsAsJSON()),
      'EX',
      30,
    );
    await harness.redis.set(`${harness.prefix}:metrics:garbled`, '{not json', 'EX', 30);
    await harness.redis.set(`${harness.prefix}:workers:w1`, heartbeatFixture('w1', harness.model.id), 'PX', 60_000);
    await harness.queues.embed.addBulk(
      ['a', 'b', 'c'].map((id) => ({
        name: 'embed',
        data: {
          productId: id,
          imageUrl: `https://img.test/${id}.jpg`,
          model: 'm',
          enqueuedAt: new Date().toISOString(),
        },
      })),
    );

    const res = await request(harness.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toContain('vectorizer_jobs_completed_total{worker="w1"} 5');
    expect(res.text).toContain('vectorizer_jobs_dead_lettered_total{code="FETCH_HTTP_404",worker="w1"} 1');
    expect(res.text).toContain('vectorizer_batch_size_bucket{le="8",worker="w1"} 1');
    expect(res.text).toContain('vectorizer_queue_jobs{queue="embed",state="waiting",worker="api"} 3');
    expect(res.text).toContain('vectorizer_queue_jobs{queue="embed-dead-letter",state="waiting",worker="api"} 0');
    expect(res.text).toContain('vectorizer_live_workers{device="cuda:0",worker="api"} 1');
    expect(res.text).toMatch(/vectorizer_process_cpu_seconds_total\{worker="api"\} \d/);
  });
});
