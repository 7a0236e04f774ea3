// A stand-in for apps/worker/src/main.ts in supervisor tests. FAKE_WORKER_MODE picks a behaviour;
// every start and every signal is appended to FAKE_WORKER_LOG as one JSON line. Signal handlers
// are installed before "start" is logged, so a test that signals after seeing "start" is never early.
import { appendFileSync, readFileSync } from 'node:fs';

const log = (event: string): void =>
  appendFileSync(
    process.env.FAKE_WORKER_LOG as string,
    `${JSON.stringify({ event, pid: process.pid, workerId: process.env.WORKER_ID, device: process.env.VECTORIZER_DEVICE, batchSize: process.env.BATCH_SIZE, concurrency: process.env.WORKER_CONCURRENCY, cuda: process.env.CUDA_VISIBLE_DEVICES, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE, cores: process.env.WORKER_CORES })}\n`,
  );
const previousStarts = (): number =>
  readFileSync(process.env.FAKE_WORKER_LOG as string, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"start"') && line.includes(`"${process.env.WORKER_ID}"`)).length;

const mode = process.env.FAKE_WORKER_MODE;
const exitCode = mode === 'cannot-work' ? 78 : mode === 'crash-twice' && previousStarts() < 2 ? 1 : undefined;

if (exitCode === undefined) {
  setInterval(() => undefined, 1_000);
  process.on('SIGTERM', () => {
    if (mode === 'ignore-sigterm') return log('sigterm-ignored');
    log('sigterm');
    // As if finishing the in-flight batch.
    setTimeout(() => process.exit(0), 50);
  });
}
log('start');
process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'fake worker up', workerId: process.env.WORKER_ID })}\n`);
process.stderr.write('a native library line\n');
if (exitCode !== undefined) process.exit(exitCode);
