// A stand-in for apps/worker/src/main.ts in supervisor tests. FAKE_WORKER_MODE picks a behaviour;
// every start and every signal is appended to FAKE_WORKER_LOG as one JSON line. Signal handlers
// are installed before "start" is logged, so a test that signals after seeing "start" is never early.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

const log = (event: string): void =>
  appendFileSync(
    process.env.FAKE_WORKER_LOG as string,
    `${JSON.stringify({ event, pid: process.pid, workerId: process.env.WORKER_ID, device: process.env.VECTORIZER_DEVICE, batchSize: process.env.BATCH_SIZE, concurrency: process.env.WORKER_CONCURRENCY, cuda: process.env.CUDA_VISIBLE_DEVICES, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE, cores: process.env.WORKER_CORES })}\n`,
  );
const previousStarts = (): number =>
  readFileSync(process.env.FAKE_WORKER_LOG as string, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"start"') && line.includes(`"${process.env.WORKER_ID}"`)).length;

// "cannot-work-on:cuda1": only the worker whose id names that device exits 78.
const modeSetting = process.env.FAKE_WORKER_MODE;
const onlyOn = modeSetting?.startsWith('cannot-work-on:') ? modeSetting.slice('cannot-work-on:'.length) : undefined;
const mode = onlyOn === undefined ? modeSetting : process.env.WORKER_ID?.includes(onlyOn) ? 'cannot-work' : undefined;
const exitCode =
  mode === 'cannot-work'
    ? 78
    : mode === 'service-down' || (mode === 'crash-twice' && previousStarts() < 2)
      ? 1
      : undefined;
// As the real worker reports a failed start: one fatal line with its code, message and fix.
const fatalLine: Record<string, object> = {
  'cannot-work': {
    code: 'POSTGRES_AUTH_FAILED',
    msg: 'worker cannot start: PostgreSQL at postgres://app:***@db:5432/x: authentication failed for app',
    hint: 'Fix the user or password in DATABASE_URL',
  },
  'service-down': {
    code: 'POSTGRES_UNAVAILABLE',
    msg: 'worker cannot start: PostgreSQL at postgres://app:***@db:5432/x: connection refused by db:5432',
    hint: 'Start PostgreSQL, or fix the host and port in DATABASE_URL.',
  },
};

// "slow-start": loads forever with no signal handler and never says ready (a model still loading).
// "ready-no-handler": says ready but has no SIGTERM handler, so a stop kills it mid-work.
// "ready-then-cannot-work": says ready, then exits 78 (its model broke under it).
const startsSlowly = mode === 'slow-start';
if (exitCode === undefined && !startsSlowly && mode !== 'ready-no-handler') {
  // As a healthy worker does after its self-test: its own health file, refreshed.
  const healthFile = process.env.WORKER_HEALTH_FILE;
  const beat = () =>
    healthFile &&
    writeFileSync(healthFile, JSON.stringify({ ok: true, model: 'fake', updatedAt: new Date().toISOString() }));
  beat();
  setInterval(beat, 1_000);
  process.on('SIGTERM', () => {
    if (mode === 'ignore-sigterm') return log('sigterm-ignored');
    log('sigterm');
    if (mode === 'fail-on-stop') return void setTimeout(() => process.exit(1), 50);
    // As if finishing the in-flight batch.
    setTimeout(() => process.exit(0), 50);
  });
}
log('start');
process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'fake worker up', workerId: process.env.WORKER_ID })}\n`);
process.stderr.write('a native library line\n');
if (startsSlowly) setInterval(() => undefined, 1_000);
else if (exitCode === undefined) {
  // As the real worker does right before taking jobs (announceWorkerReady).
  process.send?.({ type: 'vectorizer:worker-ready', model: process.env.FAKE_WORKER_MODEL ?? 'fake-model' });
  if (mode === 'ready-no-handler') setInterval(() => undefined, 1_000);
  if (mode === 'ready-then-cannot-work') setTimeout(() => process.exit(78), 100);
  // The IPC channel must not keep a worker alive by itself (the real one exits through process.exit).
  process.channel?.unref();
}
if (exitCode !== undefined) {
  const fatal = mode === undefined ? undefined : fatalLine[mode];
  if (fatal) process.stdout.write(`${JSON.stringify({ level: 'fatal', workerId: process.env.WORKER_ID, ...fatal })}\n`);
  process.exit(exitCode);
}
