import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { planThreads, type WorkerPlan } from '@vectorizer/devices';
import { createLogger } from '@vectorizer/logger';
import { DEFAULT_RESTART_POLICY } from './restart-policy';
import { checkWorkerHealth } from './health-check';
import { WorkerSupervisor, childEnv, type SupervisorOptions } from './supervisor';

const FAKE_WORKER = join(__dirname, 'testing', 'fake-worker.ts');
// Two GPU workers on a 16-core host: 8 cores each, 7 decode threads, a libuv pool of 9.
const threads = planThreads({
  host: { cores: 16, source: 'assigned', availableParallelism: 16 },
  workersOnHost: 2,
  inference: 'gpu',
});
const plan = (device: string, batchSize = 4): WorkerPlan => ({
  device,
  batchSize,
  concurrency: batchSize * 2,
  threads,
  env: {
    VECTORIZER_DEVICE: device === 'cpu' ? 'cpu' : 'cuda:0',
    BATCH_SIZE: String(batchSize),
    WORKER_CONCURRENCY: String(batchSize * 2),
  },
});

interface Event {
  event: string;
  pid: number;
  workerId: string;
  device: string;
  batchSize: string;
  uvThreadpoolSize: string;
}

describe('WorkerSupervisor (fake worker processes)', () => {
  let dir: string;
  let eventsFile: string;
  let logLines: string[];
  let output: string[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'supervisor-'));
    eventsFile = join(dir, 'events.jsonl');
    await writeFile(eventsFile, '');
    logLines = [];
    output = [];
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  function supervisor(
    mode: string,
    plans: WorkerPlan[],
    overrides: {
      shutdownTimeoutMs?: number;
      maxCannotWorkExits?: number;
      healthFile?: string;
      startIntake?: SupervisorOptions['startIntake'];
    } = {},
  ): WorkerSupervisor {
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().split('\n').filter(Boolean)));
    const outputStream = new PassThrough();
    outputStream.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
    return new WorkerSupervisor({
      plans,
      entry: FAKE_WORKER,
      cwd: dir,
      baseEnv: { ...process.env, UV_THREADPOOL_SIZE: undefined, FAKE_WORKER_MODE: mode, FAKE_WORKER_LOG: eventsFile },
      logger: createLogger({ destination: logStream, format: 'json' }),
      shutdownTimeoutMs: overrides.shutdownTimeoutMs ?? 30_000,
      restartPolicy: {
        initialDelayMs: 20,
        maxDelayMs: 1_000,
        stableAfterMs: 60_000,
        maxCannotWorkExits: overrides.maxCannotWorkExits ?? 3,
      },
      output: outputStream,
      healthFile: overrides.healthFile,
      startIntake: overrides.startIntake,
    });
  }

  /** An intake that records its starts and stops; `hangOnStop` never finishes stopping. */
  function recordingIntake(hangOnStop = false) {
    const calls: string[] = [];
    const startIntake = async (model: string) => {
      calls.push(`start ${model}`);
      return {
        stop: () => {
          calls.push('stop');
          return hangOnStop ? new Promise<void>(() => undefined) : Promise.resolve();
        },
      };
    };
    return { calls, startIntake };
  }

  async function events(): Promise<Event[]> {
    return (await readFile(eventsFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Event);
  }

  async function until(condition: () => Promise<boolean>): Promise<void> {
    while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it('starts one child per plan with its env, restarts crashes with growing backoff, and stops gracefully on request', async () => {
    const sup = supervisor('crash-twice', [plan('cuda:0', 8), plan('cuda:1', 2)]);
    const running = sup.run();
    await until(async () => (await events()).filter((e) => e.event === 'start').length === 6);
    const starts = (await events()).filter((e) => e.event === 'start');
    expect(new Set(starts.map((e) => `${e.workerId}|${e.device}|${e.batchSize}`))).toEqual(
      new Set([`${workerId('cuda:0')}|cuda:0|8`, `${workerId('cuda:1')}|cuda:0|2`]),
    );
    // libuv reads its pool size at start: only the parent can set it, from the plan.
    expect(new Set(starts.map((e) => e.uvThreadpoolSize))).toEqual(new Set([String(threads.uvThreadpoolSize)]));
    expect(threads.uvThreadpoolSize).toBe(9);
    const restarts = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.restartInMs !== undefined);
    expect(restarts.filter((entry) => entry.device === 'cuda:1').map((entry) => entry.restartInMs)).toEqual([20, 40]);

    // Child stdout: JSON lines pass through unchanged; other lines are prefixed with the device.
    await until(async () => output.some((line) => line.startsWith('[cuda:1] a native library line')));
    expect(output.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line).msg)).toContain(
      'fake worker up',
    );

    sup.stop('SIGTERM');
    await expect(running).resolves.toBe(0);
    expect((await events()).filter((e) => e.event === 'sigterm')).toHaveLength(2);
  });

  it('starts intake only once a worker said ready, for the model it proved, and stops it with the workers', async () => {
    const intake = recordingIntake();
    const sup = supervisor('', [plan('cuda:0'), plan('cuda:1')], { startIntake: intake.startIntake });
    const running = sup.run();
    await until(async () => intake.calls.length > 0);
    expect(sup.provenModel).toBe('fake-model');
    sup.stop('SIGTERM');
    await expect(running).resolves.toBe(0);
    // Two workers said ready: one intake.
    expect(intake.calls).toEqual(['start fake-model', 'stop']);
  });

  it('never starts intake for workers that cannot work', async () => {
    const intake = recordingIntake();
    const sup = supervisor('cannot-work', [plan('cpu')], { maxCannotWorkExits: 1, startIntake: intake.startIntake });
    await expect(sup.run()).resolves.toBe(78);
    expect(intake.calls).toEqual([]);
  });

  it('stops intake when every device was given up on', async () => {
    const intake = recordingIntake();
    const sup = supervisor('ready-then-cannot-work', [plan('cpu')], {
      maxCannotWorkExits: 2,
      startIntake: intake.startIntake,
    });
    await expect(sup.run()).resolves.toBe(78);
    expect(intake.calls).toEqual(['start fake-model', 'stop']);
  });

  it('ends its stop by the deadline when intake never finishes stopping (a database that never answers)', async () => {
    const intake = recordingIntake(true);
    const sup = supervisor('', [plan('cpu')], { shutdownTimeoutMs: 1_500, startIntake: intake.startIntake });
    const running = sup.run();
    await until(async () => intake.calls.length > 0);
    const stoppedAt = Date.now();
    sup.stop('SIGTERM');
    await expect(running).resolves.toBe(0);
    const tookMs = Date.now() - stoppedAt;
    expect(tookMs).toBeGreaterThanOrEqual(1_400);
    expect(tookMs).toBeLessThan(10_000);
    expect(logLines.map((line) => JSON.parse(line).msg)).toContain(
      'intake did not stop in time (PostgreSQL or Redis does not answer); abandoning it',
    );
  });

  it('counts a child stopped before it said ready as a clean stop, even when the signal killed it', async () => {
    const sup = supervisor('slow-start', [plan('cpu')]);
    const running = sup.run();
    await until(async () => (await events()).some((e) => e.event === 'start'));
    sup.stop('SIGTERM');
    await expect(running).resolves.toBe(0);
    expect(logLines.map((line) => JSON.parse(line).msg)).toContain('worker stopped while starting (it held no job)');
  });

  it('counts a ready child killed by the stop signal as unclean (exit 1): it may have held jobs', async () => {
    const sup = supervisor('ready-no-handler', [plan('cpu')]);
    const running = sup.run();
    await until(async () => sup.provenModel !== undefined);
    sup.stop('SIGTERM');
    await expect(running).resolves.toBe(1);
  });

  it('gives up on a device whose worker keeps exiting 78 and fails when no device is left', async () => {
    const sup = supervisor('cannot-work', [plan('cuda:0'), plan('cuda:1')]);
    await expect(sup.run()).resolves.toBe(78);
    expect((await events()).filter((e) => e.event === 'start')).toHaveLength(6);
    const messages = logLines.map((line) => JSON.parse(line).msg as string);
    expect(messages.filter((msg) => msg.startsWith('giving up on cuda:'))).toHaveLength(2);
    expect(messages.some((msg) => msg.includes('exited 78 (cannot work'))).toBe(true);
    const last = JSON.parse(logLines[logLines.length - 1]);
    expect(last).toMatchObject({ level: 'fatal', code: 'POSTGRES_AUTH_FAILED' });
    expect(last.msg).toMatch(
      /^every device was given up on, no worker is running; exiting 78: .*authentication failed/,
    );
  });

  it("gives up at the first exit 78 by default, in one line carrying the child's cause and fix", async () => {
    const sup = supervisor('cannot-work', [plan('cpu')], {
      maxCannotWorkExits: DEFAULT_RESTART_POLICY.maxCannotWorkExits,
    });
    await expect(sup.run()).resolves.toBe(78);
    expect((await events()).filter((e) => e.event === 'start')).toHaveLength(1);
    const entries = logLines.map((line) => JSON.parse(line));
    const failures = entries.filter((entry) => entry.level === 'warn' || entry.level === 'error');
    expect(failures[0]).toMatchObject({ level: 'error', childCode: 'POSTGRES_AUTH_FAILED', code: 78 });
    expect(failures[0].msg).toContain('authentication failed for app');
    expect(failures[0].hint).toContain('DATABASE_URL');
    // The child's own fatal line is folded into that one line, not forwarded beside it.
    expect(output.filter((line) => line.includes('"fatal"'))).toEqual([]);
  });

  it('logs one warn line per restart attempt of an unavailable service, with its cause and growing backoff', async () => {
    const sup = supervisor('service-down', [plan('cpu')]);
    const running = sup.run();
    await until(async () => (await events()).filter((e) => e.event === 'start').length === 4);
    sup.stop('SIGTERM');
    await running;
    const warns = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.level === 'warn');
    expect(warns.length).toBeGreaterThanOrEqual(3);
    for (const warn of warns) {
      expect(warn).toMatchObject({ childCode: 'POSTGRES_UNAVAILABLE', code: 1 });
      expect(warn.msg).toMatch(/exited 1: worker cannot start: PostgreSQL at .*connection refused.*; restarting in/);
    }
    expect(warns.slice(0, 3).map((warn) => warn.restartInMs)).toEqual([20, 40, 80]);
    expect(output.filter((line) => line.includes('"fatal"'))).toEqual([]);
  });

  it('is healthy while every device works, and unhealthy once one device was given up on', async () => {
    const healthFile = join(dir, 'health.json');
    const until = async (condition: () => Promise<boolean>) => {
      while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const healthy = supervisor('up', [plan('cuda:0'), plan('cuda:1')], { healthFile });
    const healthyRun = healthy.run();
    await until(async () => (await checkWorkerHealth(healthFile)).healthy);
    healthy.stop('test');
    expect(await healthyRun).toBe(0);

    const halfBroken = supervisor('cannot-work-on:cuda1', [plan('cuda:0'), plan('cuda:1')], { healthFile });
    const run = halfBroken.run();
    try {
      await until(async () => (await readFile(healthFile, 'utf8')).includes('gave-up'));
      await until(async () => (await checkWorkerHealth(join(dir, 'health.cuda0.json'))).healthy);
      // cuda:0's own file is fresh and ok: a file the workers shared would read healthy here.
      const result = await checkWorkerHealth(healthFile);
      expect(result).toEqual({
        healthy: false,
        reason: expect.stringContaining('gave up on cuda:1 (of 2 device(s))'),
      });
    } finally {
      halfBroken.stop('test');
    }
    expect(await run).toBe(0);
  });

  it('exits 1 when a child exits non-zero on stop', async () => {
    const sup = supervisor('fail-on-stop', [plan('cuda:0'), plan('cuda:1')]);
    const running = sup.run();
    await until(async () => (await events()).filter((e) => e.event === 'start').length === 2);
    sup.stop('SIGTERM');
    await expect(running).resolves.toBe(1);
    expect(logLines.some((line) => line.includes('did not stop cleanly (exit 1)'))).toBe(true);
  });

  it('kills a child that ignores SIGTERM after the shutdown timeout (exit 1), and at once on a second stop', async () => {
    const sup = supervisor('ignore-sigterm', [plan('cpu')], { shutdownTimeoutMs: 200 });
    const running = sup.run();
    await until(async () => (await events()).some((e) => e.event === 'start'));
    sup.stop('SIGTERM');
    await expect(running).resolves.toBe(1);
    expect((await events()).map((e) => e.event)).toEqual(['start', 'sigterm-ignored']);
    expect(logLines.some((line) => line.includes('did not stop in time'))).toBe(true);

    const second = supervisor('ignore-sigterm', [plan('cpu')]);
    const running2 = second.run();
    await until(async () => (await events()).filter((e) => e.event === 'start').length === 2);
    second.stop('SIGTERM');
    second.stop('SIGINT');
    await expect(running2).resolves.toBe(1);
    // Killed by the second request, not by the 30 s timeout.
    expect(logLines.filter((line) => line.includes('second stop request'))).toHaveLength(1);
    expect(logLines.filter((line) => line.includes('did not stop in time'))).toHaveLength(1);
  });
});

describe('childEnv', () => {
  it("puts the plan's libuv pool size in the child's environment unless the operator set one", () => {
    const gpuPlan = plan('cuda:0');
    expect(childEnv({ PATH: '/bin' }, gpuPlan, 'h-cuda0')).toMatchObject({
      PATH: '/bin',
      WORKER_ID: 'h-cuda0',
      VECTORIZER_DEVICE: 'cuda:0',
      UV_THREADPOOL_SIZE: '9',
    });
    expect(childEnv({ UV_THREADPOOL_SIZE: '32' }, gpuPlan, 'h-cuda0').UV_THREADPOOL_SIZE).toBe('32');
  });
});

function workerId(device: string): string {
  return `${require('node:os').hostname()}-${device.replace(/[^A-Za-z0-9]/g, '')}-${process.pid}`;
}
