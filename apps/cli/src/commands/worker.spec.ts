import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FEED_CORE_MS_PER_PRODUCT, batchSizeFor } from '@vectorizer/devices';
import { ensureDevModel } from '@vectorizer/dev-model';
import { connectForCommand } from '@vectorizer/queue';
import { createPool, runMigrations } from '@vectorizer/store';
import { createTestDatabase, freePort, TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';

const ROOT = join(__dirname, '../../../..');
const BIN = join(ROOT, 'bin/vectorizer.js');
const FAKE_WORKER = join(__dirname, '../../../../libs/supervisor/src/testing/fake-worker.ts');
const DEV_MODEL_DIR = join(ROOT, 'tmp/models/dev-tiny');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI; `onSpawn` may signal it. */
function vectorizer(args: string[], env: Record<string, string>, onSpawn?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // WATCH off unless a test is about it: the intake listener needs a migrated database.
      env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', WATCH: 'false', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (onSpawn && child.pid) onSpawn(child.pid);
  });
}

describe('vectorizer worker', () => {
  let dir: string;
  let fakeSmi: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-cli-'));
    fakeSmi = join(dir, 'nvidia-smi');
    // Two GPUs of different sizes: a roomy one and one with little free memory.
    await writeFile(
      fakeSmi,
      '#!/bin/sh\necho "0, GPU-11111111-aaaa, NVIDIA H100 80GB HBM3, 81559, 80000"\necho "1, GPU-22222222-bbbb, NVIDIA T4, 15360, 1100"\n',
    );
    await chmod(fakeSmi, 0o755);
    await ensureDevModel({ dir: DEV_MODEL_DIR, size: 'tiny' });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('--plan prints one plan per GPU sized from its free memory and starts nothing', async () => {
    // The T4 has 1100 MiB free: 5 MiB above the reserve, which fits only a small batch of the tiny model.
    const run = await vectorizer(['worker', '--plan'], {
      NVIDIA_SMI_PATH: fakeSmi,
      MODEL_DIR: DEV_MODEL_DIR,
      GPU_MEMORY_RESERVE_MB: '1095',
    });
    expect(run.code).toBe(0);
    const plans = JSON.parse(run.stdout) as {
      device: string;
      batchSize: number;
      concurrency: number;
      env: Record<string, string>;
    }[];
    expect(plans.map((p) => p.device)).toEqual(['cuda:0', 'cuda:1']);
    const sizing = run.stderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; modelBytes: number; activationBytesPerImage: number })
      .find((entry) => entry.msg === 'sizing batches from free VRAM');
    expect(sizing?.modelBytes).toBeGreaterThan(0);
    const footprint = {
      modelBytes: sizing?.modelBytes ?? 0,
      activationBytesPerImage: sizing?.activationBytesPerImage ?? 0,
      reserveMb: 1095,
    };
    expect(plans.map((p) => p.batchSize)).toEqual([batchSizeFor(80_000, footprint), batchSizeFor(1_100, footprint)]);
    expect(plans[0].batchSize).toBe(256);
    expect(plans[1].batchSize).toBeLessThan(plans[0].batchSize);
    for (const p of plans) {
      expect(Math.log2(p.batchSize) % 1).toBe(0);
      expect(p.concurrency).toBe(p.batchSize * 2 + 8);
      expect(p.env).toMatchObject({ VECTORIZER_DEVICE: 'cuda:0', BATCH_SIZE: String(p.batchSize) });
    }
    expect(plans.map((p) => p.env.CUDA_VISIBLE_DEVICES)).toEqual(['GPU-11111111-aaaa', 'GPU-22222222-bbbb']);
  });

  it('--plan honours CUDA_VISIBLE_DEVICES and BATCH_SIZE, and plans one CPU worker without nvidia-smi', async () => {
    const one = await vectorizer(['worker', '--plan'], {
      NVIDIA_SMI_PATH: fakeSmi,
      CUDA_VISIBLE_DEVICES: '1',
      BATCH_SIZE: '8',
    });
    expect(JSON.parse(one.stdout)).toEqual([
      expect.objectContaining({ device: 'cuda:1', batchSize: 8, concurrency: 24 }),
    ]);
    const cpu = await vectorizer(['worker', '--plan'], { NVIDIA_SMI_PATH: join(dir, 'missing') });
    expect(JSON.parse(cpu.stdout)).toEqual([
      expect.objectContaining({ device: 'cpu', env: expect.objectContaining({ VECTORIZER_DEVICE: 'cpu' }) }),
    ]);
  });

  it('--plan on an 8-GPU, 64-core host gives each GPU worker 8 cores, 7 decode threads and its feed rate', async () => {
    const eightGpus = join(dir, 'nvidia-smi-8');
    const rows = Array.from(
      { length: 8 },
      (_, i) => `echo "${i}, GPU-0000000${i}-h100, NVIDIA H100 80GB HBM3, 81559, 80000"`,
    );
    await writeFile(eightGpus, `#!/bin/sh\n${rows.join('\n')}\n`);
    await chmod(eightGpus, 0o755);
    const run = await vectorizer(['worker', '--plan', '--cores', '64'], {
      NVIDIA_SMI_PATH: eightGpus,
      MODEL_DIR: DEV_MODEL_DIR,
    });
    expect(run.code).toBe(0);
    const plans = JSON.parse(run.stdout) as {
      device: string;
      threads: Record<string, number | string>;
      env: Record<string, string>;
    }[];
    expect(plans.map((p) => p.device)).toEqual(Array.from({ length: 8 }, (_, i) => `cuda:${i}`));
    for (const p of plans) {
      expect(p.threads).toEqual({
        cores: 8,
        hostCores: 64,
        coresSource: 'assigned',
        workersOnHost: 8,
        inferenceThreads: 1,
        inferenceThreadsSource: 'plan',
        interOpThreads: 1,
        decodeThreads: 7,
        sharpConcurrency: 1,
        uvThreadpoolSize: 9,
        feedRatePerSecond: Math.round(8_000 / FEED_CORE_MS_PER_PRODUCT),
        feedCoreMsPerProduct: FEED_CORE_MS_PER_PRODUCT,
      });
      expect(p.env.WORKER_CORES).toBe('8');
    }
  });

  it('--plan on a CPU host gives ONNX Runtime every core unless INFERENCE_THREADS says otherwise', async () => {
    const cpu = await vectorizer(['worker', '--plan', '--cores', '6'], { NVIDIA_SMI_PATH: join(dir, 'missing') });
    expect(JSON.parse(cpu.stdout)[0].threads).toMatchObject({ cores: 6, inferenceThreads: 6, decodeThreads: 6 });
    const pinned = await vectorizer(['worker', '--plan', '--cores', '6'], {
      NVIDIA_SMI_PATH: join(dir, 'missing'),
      INFERENCE_THREADS: '2',
    });
    expect(JSON.parse(pinned.stdout)[0].threads).toMatchObject({
      inferenceThreads: 2,
      inferenceThreadsSource: 'INFERENCE_THREADS',
    });
    const bad = await vectorizer(['worker', '--plan', '--cores', 'many'], {});
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('positive whole number');
  });

  it('refuses VECTORIZER_DEVICE=cuda without a GPU, naming the cause', async () => {
    const run = await vectorizer(['worker', '--plan'], {
      NVIDIA_SMI_PATH: join(dir, 'missing'),
      VECTORIZER_DEVICE: 'cuda',
    });
    // 78: no restart can conjure a GPU.
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('NO_GPU');
    expect(run.stderr).toContain('NVIDIA Container Toolkit');
  });

  it('--health is 0 only for a fresh ok health file', async () => {
    const file = join(dir, 'health.json');
    const env = { WORKER_HEALTH_FILE: file };
    expect((await vectorizer(['worker', '--health'], env)).code).toBe(1);
    await writeFile(file, JSON.stringify({ ok: true, model: 'm', updatedAt: new Date().toISOString() }));
    expect((await vectorizer(['worker', '--health'], env)).code).toBe(0);
    await writeFile(
      file,
      JSON.stringify({ ok: true, model: 'm', updatedAt: new Date(Date.now() - 120_000).toISOString() }),
    );
    expect((await vectorizer(['worker', '--health'], env)).code).toBe(1);
    await writeFile(file, JSON.stringify({ ok: false, model: 'm', updatedAt: new Date().toISOString() }));
    expect((await vectorizer(['worker', '--health'], env)).code).toBe(1);
  });

  it('forwards SIGTERM to its workers and exits 0 once they exited', async () => {
    const events = join(dir, 'events.jsonl');
    await writeFile(events, '');
    const run = await vectorizer(
      ['worker', '--entry', FAKE_WORKER],
      { NVIDIA_SMI_PATH: fakeSmi, BATCH_SIZE: '4', FAKE_WORKER_LOG: events, FAKE_WORKER_MODE: 'crash-twice' },
      (pid) => {
        void (async () => {
          // Signal once both devices run their third (stable) child.
          while ((await readFile(events, 'utf8')).split('\n').filter((line) => line.includes('"start"')).length < 6) {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          process.kill(pid, 'SIGTERM');
        })();
      },
    );
    expect(run.code).toBe(0);
    const lines = (await readFile(events, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string; cuda: string });
    expect(
      lines
        .filter((e) => e.event === 'sigterm')
        .map((e) => e.cuda)
        .sort(),
    ).toEqual(['GPU-11111111-aaaa', 'GPU-22222222-bbbb']);
    expect(run.stdout).toContain('fake worker up');
  });

  it('--drain with an empty queue exits 0 without starting a worker', async () => {
    const events = join(dir, 'drain-events.jsonl');
    await writeFile(events, '');
    const prefix = uniquePrefix('drain');
    const run = await vectorizer(['worker', '--drain', '--entry', FAKE_WORKER], {
      NVIDIA_SMI_PATH: join(dir, 'missing'),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      FAKE_WORKER_LOG: events,
    });
    await deleteKeys(prefix);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('nothing to drain');
    expect(await readFile(events, 'utf8')).toBe('');
  });

  it('runs the intake listener in the parent by default: a product inserted by SQL gets its job, once per cluster', async () => {
    const db = await createTestDatabase('worker_watch');
    const prefix = uniquePrefix('worker-watch');
    const pool = createPool(db.url, { max: 1 });
    const connection = await connectForCommand(TEST_REDIS_URL);
    const events = join(dir, 'watch-events.jsonl');
    await writeFile(events, '');
    try {
      await runMigrations(pool, {});
      const env = {
        NVIDIA_SMI_PATH: join(dir, 'missing'),
        WATCH: 'true',
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        MODEL_DIR: DEV_MODEL_DIR,
        RECONCILE_INTERVAL_MS: '200',
        FAKE_WORKER_LOG: events,
      };
      const supervisors: number[] = [];
      const runs = [1, 2].map(() =>
        vectorizer(['worker', '--entry', FAKE_WORKER], env, (pid) => supervisors.push(pid)),
      );
      await pool.query("INSERT INTO products (id, image_url) VALUES ('sql-1', 'https://img.example/1.jpg')");
      const waitingKey = `${prefix}:embed:wait`;
      const deadline = Date.now() + 60_000;
      while ((await connection.llen(waitingKey)) < 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Signal once both fake workers run (before that they would die of the signal, not stop).
      while ((await readFile(events, 'utf8')).split('\n').filter((line) => line.includes('"start"')).length < 2) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const pid of supervisors) process.kill(pid, 'SIGTERM');
      const finished = await Promise.all(runs);
      expect(await connection.llen(waitingKey)).toBe(1);
      expect(finished.map((run) => run.code)).toEqual([0, 0]);
      const leaders = finished.filter((run) => run.stderr.includes('intake listener: leader')).length;
      expect(leaders).toBe(1);
    } finally {
      await deleteKeys(prefix);
      await connection.quit();
      await pool.end();
      await db.drop();
    }
  });

  it('--drain fails with REDIS_UNAVAILABLE when Redis is down', async () => {
    const events = join(dir, 'drain-down.jsonl');
    await writeFile(events, '');
    const run = await vectorizer(['worker', '--drain', '--entry', FAKE_WORKER], {
      NVIDIA_SMI_PATH: join(dir, 'missing'),
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      FAKE_WORKER_LOG: events,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('REDIS_UNAVAILABLE');
  });
});

/** Removes the queue metadata the drain watcher's queues wrote under `prefix`. */
async function deleteKeys(prefix: string): Promise<void> {
  const connection = await connectForCommand(TEST_REDIS_URL);
  try {
    const keys = await connection.keys(`${prefix}:*`);
    if (keys.length > 0) await connection.del(...keys);
  } finally {
    await connection.quit();
  }
}
