import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';
import { connectForCommand } from './connection';
import { watchScriptCommands } from './test-support/script-monitor';
import { WorkerRegistry, workerRegistryKeys, type WorkerHeartbeatRecord } from './worker-registry';

const record = (workerId: string): WorkerHeartbeatRecord => ({
  workerId,
  pid: 42,
  host: 'host',
  device: 'cpu',
  provider: 'cpu',
  model: 'test/model',
  dimension: 4,
  batchSize: 8,
  concurrency: 24,
  startedAt: new Date(0).toISOString(),
  updatedAt: new Date(0).toISOString(),
  state: 'running',
});

describe('WorkerRegistry (real Redis)', () => {
  let connection: Redis;
  let prefix: string;

  beforeEach(async () => {
    prefix = uniquePrefix('registry');
    connection = await connectForCommand(TEST_REDIS_URL);
  });
  afterEach(async () => {
    await connection.del(...workerRegistryKeys(prefix));
    await connection.quit();
  });

  it('lists live workers, keeps a retired one readable, and counts each worker id once per device', async () => {
    const registry = new WorkerRegistry(connection, prefix);
    await registry.beat(record('w1'), { ttlMs: 60_000, metricsJson: '[1]' });
    await registry.beat(record('w1'), { ttlMs: 60_000 });
    await registry.beat(record('w2'), { ttlMs: 60_000, metricsJson: '[2]' });
    expect((await registry.liveWorkers()).map((worker) => worker.workerId)).toEqual(['w1', 'w2']);
    await registry.retire('w2', { metricsJson: '[2, "final"]' });
    expect((await registry.liveWorkers()).map((worker) => worker.workerId)).toEqual(['w1']);
    expect(await registry.metrics()).toEqual([
      { workerId: 'w1', json: '[1]', retired: false },
      { workerId: 'w2', json: '[2, "final"]', retired: true },
    ]);
    expect(await registry.starts()).toEqual({ cpu: 2 });
  });

  it('counts every start of a process, also one restarted under the same worker id, and never a repeated beat', async () => {
    const registry = new WorkerRegistry(connection, prefix);
    const first = record('w1');
    await registry.beat(first, { ttlMs: 1 });
    await sleep(20);
    // The same process back after its entry expired (Redis was away): not a new start.
    await registry.beat({ ...first, updatedAt: new Date(1_000).toISOString() }, { ttlMs: 60_000 });
    expect(await registry.starts()).toEqual({ cpu: 1 });
    // The supervisor restarted the device's worker: same id, a new process.
    await registry.beat({ ...first, pid: 43, startedAt: new Date(2_000).toISOString() }, { ttlMs: 60_000 });
    expect(await registry.starts()).toEqual({ cpu: 2 });
    expect((await registry.liveWorkers()).map((worker) => worker.pid)).toEqual([43]);
  });

  it('retires a worker whose heartbeat expired', async () => {
    const registry = new WorkerRegistry(connection, prefix);
    await registry.beat(record('w1'), { ttlMs: 1 });
    await sleep(20);
    expect(await registry.liveWorkers()).toEqual([]);
    expect(await registry.workers()).toEqual([{ record: record('w1'), retired: true }]);
  });

  it('runs its scripts by SHA: each script text crosses the wire at most once per connection', async () => {
    const registry = new WorkerRegistry(connection, prefix);
    const monitor = await watchScriptCommands(prefix);
    try {
      for (let i = 0; i < 3; i += 1) {
        await registry.beat(record('w1'), { ttlMs: 60_000 });
        await registry.liveWorkers();
      }
      await registry.retire('w1');
      const counts = await monitor.counts();
      // Three scripts (beat, read, retire); the first EVALSHA of each may meet NOSCRIPT (not logged).
      expect(counts.eval).toBeLessThanOrEqual(3);
      expect(counts.evalsha).toBeGreaterThanOrEqual(4);
    } finally {
      monitor.stop();
    }
  });
});
