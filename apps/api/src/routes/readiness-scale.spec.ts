import { startRedisServer, type RedisServerHandle } from '@vectorizer/testing';
import IORedis, { type Redis } from 'ioredis';
import request from 'supertest';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';

const WAITING_JOBS = 200_000;
const CHUNK = 5_000;

/** Calls of `command` the server has answered so far (INFO commandstats). */
async function callsOf(redis: Redis, command: string): Promise<number> {
  const stats = await redis.info('commandstats');
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats);
  return match ? Number(match[1]) : 0;
}

// A private redis-server: the 200k jobs stay off the shared one, and its command counters see only
// this test's traffic.
describe('/readyz with a large backlog and no worker', () => {
  let server: RedisServerHandle;
  let harness: ApiHarness;
  let observer: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    harness = await createApiHarness({ redisUrl: server.url });
    observer = new IORedis(server.url);
    const enqueuedAt = new Date().toISOString();
    for (let start = 0; start < WAITING_JOBS; start += CHUNK) {
      await harness.queues.embed.addBulk(
        Array.from({ length: CHUNK }, (_, i) => ({
          name: 'embed',
          data: { productId: `p${start + i}`, imageUrl: `https://img.test/${start + i}.jpg`, model: 'm', enqueuedAt },
        })),
      );
    }
  }, 240_000);

  afterAll(async () => {
    observer?.disconnect();
    await harness?.close();
    await server?.stop();
  }, 120_000);

  it('answers 200 without scanning the keyspace', async () => {
    expect(await harness.queues.embed.getWaitingCount()).toBe(WAITING_JOBS);
    expect(await observer.dbsize()).toBeGreaterThan(WAITING_JOBS);
    const scansBefore = await callsOf(observer, 'scan');
    const keysBefore = await callsOf(observer, 'keys');

    const latencies: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const started = process.hrtime.bigint();
      const res = await request(harness.app).get('/readyz');
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      expect(res.status).toBe(200);
      expect(res.body.workers).toMatchObject({ live: 0 });
    }
    const metrics = await request(harness.app).get('/metrics').expect(200);
    expect(metrics.text).toContain(`vectorizer_queue_jobs{queue="embed",state="waiting",worker="api"} ${WAITING_JOBS}`);

    expect(await callsOf(observer, 'scan')).toBe(scansBefore);
    expect(await callsOf(observer, 'keys')).toBe(keysBefore);
    process.stdout.write(
      `/readyz with ${WAITING_JOBS} waiting jobs, no worker: ${latencies.map((ms) => ms.toFixed(1)).join(', ')} ms ` +
        `(first includes the lazy connection set-up)\n`,
    );
  });
});
