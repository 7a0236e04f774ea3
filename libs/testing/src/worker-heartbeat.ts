/**
 * A live worker's heartbeat record as JSON, as the worker publishes it in the worker registry
 * (libs/queue WorkerRegistry), for tests of the readers (/readyz, doctor) without starting a worker.
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
