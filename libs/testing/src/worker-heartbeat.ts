/**
 * A live worker's heartbeat as the worker writes it to `${QUEUE_PREFIX}:workers:${workerId}` (JSON),
 * for tests of the readers (/readyz, doctor) without starting a worker.
 */
export function heartbeatFixture(workerId: string, model: string): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    workerId,
    pid: 4242,
    host: 'gpu-box',
    device: 'cuda:0',
    provider: 'cuda:0',
    model,
    dimension: 64,
    batchSize: 32,
    concurrency: 64,
    startedAt: now,
    updatedAt: now,
    state: 'running',
  });
}
