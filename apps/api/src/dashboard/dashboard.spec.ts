import type { Queue } from 'bullmq';
import { UnrecoverableError, Worker } from 'bullmq';
import request from 'supertest';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';
import type { DashboardAccess } from './dashboard-access';

const TOKEN = 'tok-3f9a';
const basicHeader = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A job in the failed state, as a worker leaves it after its last attempt. */
async function failedJob(harness: ApiHarness, productId: string): Promise<string> {
  const queue: Queue = harness.queues.embed;
  const job = await queue.add('embed', {
    productId,
    imageUrl: `https://img.test/${productId}.jpg`,
    model: 'm',
    enqueuedAt: new Date().toISOString(),
  });
  const connection = harness.redis.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker(queue.name, null, { connection, prefix: harness.prefix, autorun: false });
  try {
    const active = await worker.getNextJob('token');
    expect(active?.id).toBe(job.id);
    await active?.moveToFailed(new UnrecoverableError('FETCH_NOT_FOUND: HTTP 404'), 'token');
  } finally {
    await worker.close(true);
    await connection.quit();
  }
  expect(await queue.getJobState(job.id as string)).toBe('failed');
  return job.id as string;
}

describe('dashboard with basic auth and a bearer token', () => {
  let harness: ApiHarness;
  const access: DashboardAccess = {
    basic: { user: 'ops', password: 's3cret' },
    token: TOKEN,
    open: false,
    readOnly: false,
  };

  beforeAll(async () => {
    harness = await createApiHarness({ dashboard: access });
  });
  afterAll(() => harness.close());

  it('answers 401 with a basic challenge without credentials', async () => {
    const res = await request(harness.app).get('/admin/queues').expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    expect(res.body.error.code).toBe('DASHBOARD_UNAUTHORIZED');
    await request(harness.app).get('/admin/queues/api/queues').expect(401);
  });

  it('refuses a wrong password and a wrong token', async () => {
    await request(harness.app).get('/admin/queues').set('Authorization', basicHeader('ops', 'wrong')).expect(401);
    await request(harness.app).get('/admin/queues').set('Authorization', 'Bearer nope').expect(401);
  });

  it('serves the board with basic auth and its API with the bearer token, listing the embed queue only', async () => {
    const page = await request(harness.app)
      .get('/admin/queues')
      .set('Authorization', basicHeader('ops', 's3cret'))
      .expect(200);
    expect(page.text).toContain('<html');
    const api = await request(harness.app)
      .get('/admin/queues/api/queues')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    const names = api.body.queues.map((q: { name: string }) => q.name).sort();
    expect(names).toEqual(['embed']);
    expect(api.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode === false)).toBe(true);
  });

  it('retries a dead letter from the board with a fresh attempt budget', async () => {
    const jobId = await failedJob(harness, 'p-retry');
    const failed = await request(harness.app)
      .get('/admin/queues/api/queues?activeQueue=embed&status=failed&page=1')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    const shown = failed.body.queues[0].jobs.map((job: { id: string; failedReason: string }) => job);
    expect(shown).toEqual([expect.objectContaining({ id: jobId, failedReason: 'FETCH_NOT_FOUND: HTTP 404' })]);
    await request(harness.app)
      .put(`/admin/queues/api/queues/embed/${jobId}/retry`)
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Origin', 'http://127.0.0.1')
      .set('Host', '127.0.0.1')
      .expect((res) => expect(res.status).toBeLessThan(300));
    expect(await harness.queues.embed.getJobState(jobId)).toBe('waiting');
    expect((await harness.queues.embed.getJob(jobId))?.attemptsMade).toBe(0);
    await harness.queues.embed.remove(jobId); // out of the way of the next test's worker
  });

  it('refuses a cross-site write even with valid credentials', async () => {
    const jobId = await failedJob(harness, 'p-csrf');
    const byOrigin = await request(harness.app)
      .put(`/admin/queues/api/queues/embed/${jobId}/retry`)
      .set('Authorization', basicHeader('ops', 's3cret'))
      .set('Origin', 'https://evil.example')
      .expect(403);
    expect(byOrigin.body.error.code).toBe('CROSS_SITE_REQUEST_REFUSED');
    await request(harness.app)
      .post('/admin/queues/api/queues/pause')
      .set('Authorization', basicHeader('ops', 's3cret'))
      .set('Sec-Fetch-Site', 'cross-site')
      .expect(403);
    expect(await harness.queues.embed.getJobState(jobId)).toBe('failed');
    expect(await harness.queues.embed.isPaused()).toBe(false);
  });
});

describe('read-only dashboard', () => {
  let harness: ApiHarness;

  beforeAll(async () => {
    harness = await createApiHarness({ dashboard: { token: TOKEN, open: false, readOnly: true } });
  });
  afterAll(() => harness.close());

  it('shows the queues in read-only mode', async () => {
    const api = await request(harness.app)
      .get('/admin/queues/api/queues')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    expect(api.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode === true)).toBe(true);
  });

  it('refuses every write on the server with 403', async () => {
    const jobId = await failedJob(harness, 'p-ro');
    for (const [method, path] of [
      ['put', `/admin/queues/api/queues/embed/${jobId}/retry`],
      ['put', '/admin/queues/api/queues/embed/retry/failed'],
      ['put', '/admin/queues/api/queues/embed/obliterate'],
      ['post', '/admin/queues/api/queues/pause'],
    ] as const) {
      const res = await request(harness.app)[method](path).set('Authorization', `Bearer ${TOKEN}`).expect(403);
      expect(res.body.error.code).toBe('DASHBOARD_READ_ONLY');
    }
    expect(await harness.queues.embed.getJobState(jobId)).toBe('failed');
  });
});
