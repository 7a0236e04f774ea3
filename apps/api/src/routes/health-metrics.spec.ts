import { createPipelineMetrics, createRegistry } from '@vectorizer/telemetry';
import request from 'supertest';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';
import { WorkerRegistry } from '@vectorizer/queue';
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

const register = (workerId: string, model: string) =>
  new WorkerRegistry(harness.redis, harness.prefix).beat(JSON.parse(heartbeatFixture(workerId, model)), {
    ttlMs: 60_000,
  });

describe('GET /readyz', () => {
  it('is 200 without a worker, reporting the missing worker beside the checks', async () => {
    const res = await request(harness.app).get('/readyz').expect(200);
    expect(res.body.status).toBe('ok');
    expect(Object.keys(res.body.checks).sort()).toEqual(['model', 'pgvector', 'postgres', 'redis', 'schema']);
    expect(res.body.checks.model.detail).toContain(harness.model.id);
    expect(res.body.workers).toMatchObject({ live: 0, status: 'fail', workers: [] });
    expect(res.body.workers.fix).toContain('npx vectorizer worker');
  });

  it('lists live workers with device, model and state, and is 503 while Postgres is unreachable', async () => {
    await register('w1', harness.model.id);
    const ready = await request(harness.app).get('/readyz').expect(200);
    expect(Object.values(ready.body.checks).every((c) => (c as { status: string }).status !== 'fail')).toBe(true);
    expect(ready.body.workers).toMatchObject({
      live: 1,
      status: 'ok',
      workers: [{ workerId: 'w1', device: 'cuda:0', model: harness.model.id, state: 'running', host: 'gpu-box' }],
    });

    await proxy.down();
    const down = await request(harness.app).get('/readyz').expect(503);
    expect(down.body.checks.postgres.status).toBe('fail');
    expect(down.body.checks.redis.status).toBe('ok');
    expect(down.body.workers.live).toBe(1);

    await proxy.up();
    await request(harness.app).get('/readyz').expect(200);
  });

  it('warns in the workers field, without failing, when a worker embeds with another model', async () => {
    await register('w2', 'org/other-model');
    try {
      const res = await request(harness.app).get('/readyz').expect(200);
      expect(res.body.workers.status).toBe('warn');
      expect(res.body.workers.detail).toContain(`a model other than ${harness.model.id}`);
    } finally {
      await new WorkerRegistry(harness.redis, harness.prefix).remove('w2');
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
    const workers = new WorkerRegistry(harness.redis, harness.prefix);
    await workers.beat(JSON.parse(heartbeatFixture('w1', harness.model.id)), {
      ttlMs: 60_000,
      metricsJson: JSON.stringify(await workerRegistry.getMetricsAsJSON()),
    });
    await workers.beat(JSON.parse(heartbeatFixture('garbled', harness.model.id)), {
      ttlMs: 60_000,
      metricsJson: '{not json',
    });
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
    expect(res.text).toContain('vectorizer_dead_letters{worker="api"} 0');
    expect(res.text).not.toContain('embed-dead-letter');
    expect(res.text).toContain('vectorizer_live_workers{device="cuda:0",worker="api"} 2');
    expect(res.text).toContain('vectorizer_metrics_source_up{source="queue",worker="api"} 1');
    expect(res.text).toContain('vectorizer_metrics_source_up{source="workers",worker="api"} 1');
    expect(res.text).toMatch(/vectorizer_process_cpu_seconds_total\{worker="api"\} \d/);
  });
});
