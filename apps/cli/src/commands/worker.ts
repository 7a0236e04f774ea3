import { InvalidArgumentError, Option, type Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@vectorizer/config';
import type { WorkerPlan } from '@vectorizer/devices';
import { EXIT_CLEAN } from '@vectorizer/errors';
import { pendingInPostgres } from '@vectorizer/intake';
import { getQueueStats, isDrained } from '@vectorizer/queue';
import { type QueueServices, type Runtime, workerPlans } from '@vectorizer/runtime';
import { EmbeddingsRepository } from '@vectorizer/store';
import {
  WorkerSupervisor,
  checkWorkerHealth,
  defaultWorkerEntry,
  repoRoot,
  waitUntilDrained,
} from '@vectorizer/supervisor';
import type pg from 'pg';
import { runCommand } from '../context';
import { startWatch } from './watch';

interface WorkerCommandOptions {
  plan?: boolean;
  cores?: number;
  drain?: boolean;
  health?: boolean;
  entry?: string;
}

/** Grace beyond the worker's own shutdown timeout before the supervisor SIGKILLs it. */
const KILL_GRACE_MS = 5_000;
const DRAIN_POLL_MS = 2_000;
const DRAIN_RETRY_MAX_MS = 30_000;
const EXIT_GRACE_MS = 1_000;

/**
 * Until the supervisor runs, a stop request ends the command at once with 0: no worker was started.
 * supervise() points it at the supervisor's graceful stop.
 */
let onStopRequest = (signal: NodeJS.Signals): void => {
  process.stderr.write(`vectorizer worker: ${signal} before any worker started; exiting 0\n`);
  process.exit(EXIT_CLEAN);
};

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'Start one embedding worker process per GPU (or one on CPU), sized from free VRAM, and keep them running.',
    )
    .option('--plan', 'print the device and thread plan as JSON and exit without starting anything')
    .option(
      '--cores <n>',
      'plan for a host with this many usable cores (default: detected from the CPUs and the cgroup quota)',
      positiveInteger,
    )
    .option('--drain', 'exit once the queue has nothing waiting, active or delayed (then stop the workers)')
    .option(
      '--health',
      "exit 0 iff every device's worker on this host reported healthy within the last 60 s and none was given up on (container health check)",
    )
    // For tests and debugging: run another script in place of apps/worker/src/main.ts.
    .addOption(new Option('--entry <file>', 'worker entry script').hideHelp())
    .addHelpText(
      'after',
      '\nEach GPU worker sees only its GPU (CUDA_VISIBLE_DEVICES=<its UUID>, so inside it the GPU is cuda:0); its\n' +
        'WORKER_ID (<host>-cuda<N>-<supervisor pid>) names the physical device and the supervisor. BATCH_SIZE / WORKER_CONCURRENCY override the plan.\n' +
        'Threads: each GPU worker gets host cores ÷ GPUs (WORKER_CORES) for decoding, the CPU worker all of them for\n' +
        'ONNX Runtime (INFERENCE_THREADS overrides); the supervisor sets UV_THREADPOOL_SIZE unless you did.\n' +
        'A worker that exits with code 78 (model or config broken: wrong password, no database) is given up on.\n' +
        'SIGTERM/SIGINT: workers finish their in-flight batch and exit; a second signal kills them.',
    )
    .action((opts: WorkerCommandOptions) =>
      runCommand(
        'supervisor',
        async ({ config, logger, runtime }) => {
          if (opts.health) return health(config);
          if (!opts.plan) {
            process.on('SIGTERM', (signal) => onStopRequest(signal));
            process.on('SIGINT', (signal) => onStopRequest(signal));
          }
          if (opts.drain && (await nothingToDrain(runtime))) {
            logger.info('nothing to drain: no job waiting, active or delayed, none pending in Postgres; exiting 0');
            return EXIT_CLEAN;
          }
          const plans = await workerPlans(runtime, opts.cores);
          if (opts.plan) {
            process.stdout.write(`${JSON.stringify(plans, null, 2)}\n`);
            return EXIT_CLEAN;
          }
          return supervise(runtime, plans, opts);
        },
        // A listener or pool stuck on a database that never answers is abandoned by the supervisor's
        // bounded stop; its sockets must not keep the process alive after that.
        { exitAfterMs: EXIT_GRACE_MS },
      ),
    );
}

async function health(config: Config): Promise<number> {
  const result = await checkWorkerHealth(config.WORKER_HEALTH_FILE);
  process.stdout.write(
    result.healthy
      ? `healthy (model ${result.model}, ${Math.round(result.ageMs / 1000)} s ago)\n`
      : `unhealthy: ${result.reason}\n`,
  );
  return result.healthy ? 0 : 1;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

async function supervise(runtime: Runtime, plans: WorkerPlan[], opts: WorkerCommandOptions): Promise<number> {
  const { config, logger } = runtime;
  logger.info(
    {
      plans: plans.map(({ device, batchSize, concurrency, threads }) => ({
        device,
        batchSize,
        concurrency,
        cores: threads.cores,
        inferenceThreads: threads.inferenceThreads,
        decodeThreads: threads.decodeThreads,
        feedRatePerSecond: threads.feedRatePerSecond,
      })),
    },
    `starting ${plans.length} worker(s)`,
  );
  const supervisor = new WorkerSupervisor({
    plans,
    entry: opts.entry ?? defaultWorkerEntry(),
    cwd: repoRoot(),
    // Children read their configuration from the environment like any vectorizer process.
    baseEnv: process.env,
    logger,
    shutdownTimeoutMs: config.WORKER_SHUTDOWN_TIMEOUT_MS + KILL_GRACE_MS,
    healthFile: config.WORKER_HEALTH_FILE,
    // The Postgres listener + reconcile loop run here, in the parent, not per device: one per host
    // bids for the cluster's leadership, and a device worker's restart does not interrupt intake.
    startIntake: config.WATCH ? (model) => startWatch(runtime, model) : undefined,
  });
  onStopRequest = (signal) => supervisor.stop(signal);
  const drainAbort = new AbortController();
  try {
    const running = supervisor.run();
    if (opts.drain) void drainThenStop(runtime, supervisor, drainAbort.signal);
    return await running;
  } finally {
    drainAbort.abort();
  }
}

/**
 * True when a drain would have nothing to do: no job waiting, active or delayed and, with the
 * reconcile loop on (WATCH), no product of the configured model pending in Postgres. Redis down is
 * an error (REDIS_UNAVAILABLE); a database that cannot answer the count (not migrated yet) counts as
 * work to do, and the workers say what is wrong with it.
 */
async function nothingToDrain(runtime: Runtime): Promise<boolean> {
  const { config, logger } = runtime;
  const queues = await runtime.openQueues();
  try {
    if (!isDrained(await getQueueStats(queues.queue))) return false;
  } finally {
    await queues.close();
  }
  if (!config.WATCH) return true;
  const model = await runtime.modelId();
  let pool: pg.Pool | undefined;
  try {
    pool = await runtime.openDatabase({ max: 1 });
    return (await new EmbeddingsRepository(pool).countMissing(model)) === 0;
  } catch (error) {
    logger.debug({ err: error }, 'could not count the products pending in Postgres; starting the workers');
    return false;
  } finally {
    await pool?.end();
  }
}

/**
 * Stops the workers once the queue has drained and (with intake running) nothing of the proven model
 * is pending in Postgres. A failed poll (Redis or Postgres down for a while) is one line, and the
 * watch resumes with backoff: the workers pause through the outage and the drain finishes after it.
 */
async function drainThenStop(runtime: Runtime, supervisor: WorkerSupervisor, signal: AbortSignal): Promise<void> {
  const { config, logger } = runtime;
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    let queues: QueueServices | undefined;
    let pool: pg.Pool | undefined;
    try {
      queues = await runtime.openQueues();
      const queue = queues.queue;
      if (config.WATCH) pool = await runtime.openDatabase({ max: 1 });
      const embeddings = pool && new EmbeddingsRepository(pool);
      const backlog =
        embeddings &&
        (async () => {
          const model = supervisor.provenModel;
          // Before a worker proved its model, intake has not run: nothing says the backlog is empty.
          if (model === undefined) return 1;
          return pendingInPostgres(await embeddings.countMissing(model), await getQueueStats(queue));
        });
      if (await waitUntilDrained(queue, { pollMs: DRAIN_POLL_MS, signal, backlog })) {
        logger.info('queue drained: nothing waiting, active or delayed');
        supervisor.stop('queue drained');
      }
      return;
    } catch (error) {
      const retryInMs = Math.min(DRAIN_RETRY_MAX_MS, DRAIN_POLL_MS * 2 ** (attempt - 1));
      logger.warn({ err: error, attempt, retryInMs }, `--drain cannot watch the queue; retrying in ${retryInMs} ms`);
      await sleep(retryInMs, undefined, { signal }).catch(() => undefined);
    } finally {
      await queues?.close().catch(() => undefined);
      await pool?.end().catch(() => undefined);
    }
  }
}
