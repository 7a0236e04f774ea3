import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Config } from '@vectorizer/config';
import { detectHostCores, discoverGpus, planWorkers, type GpuInfo, type WorkerPlan } from '@vectorizer/devices';
import { VectorizerError } from '@vectorizer/errors';
import type { Logger } from '@vectorizer/logger';
import { pendingInPostgres } from '@vectorizer/intake';
import { getQueueStats } from '@vectorizer/queue';
import { EmbeddingsRepository } from '@vectorizer/store';
import { openDatabase, openQueues } from '../command-services';
import {
  WorkerSupervisor,
  checkWorkerHealth,
  defaultWorkerEntry,
  modelFootprint,
  repoRoot,
  waitUntilDrained,
} from '@vectorizer/supervisor';
import { runCommand } from '../context';
import { resolveConfiguredModel } from './model';
import { startWatchFromConfig } from './watch';

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
      runCommand('supervisor', async ({ config, logger }) => {
        if (opts.health) return health(config);
        const plans = await planFromConfig(config, logger, opts.cores);
        if (opts.plan) {
          process.stdout.write(`${JSON.stringify(plans, null, 2)}\n`);
          return 0;
        }
        return supervise(config, logger, plans, opts);
      }),
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

/** VECTORIZER_DEVICE picks the devices: auto (every visible GPU, else CPU), cuda (every GPU), cuda:N, cpu, webgpu. */
export async function planFromConfig(config: Config, logger: Logger, cores?: number): Promise<WorkerPlan[]> {
  const requested = config.VECTORIZER_DEVICE;
  const sizing = {
    reserveMb: config.GPU_MEMORY_RESERVE_MB,
    batchSizeOverride: config.BATCH_SIZE,
    concurrencyOverride: config.WORKER_CONCURRENCY,
    host: detectHostCores(undefined, cores ?? config.WORKER_CORES),
    inferenceThreadsOverride: config.INFERENCE_THREADS,
  };
  if (requested === 'cpu' || requested === 'webgpu') {
    return planWorkers([], { ...sizing, modelBytes: 0, activationBytesPerImage: 1 }).map((plan) =>
      withDevice(plan, requested),
    );
  }
  let gpus: GpuInfo[] = await discoverGpus({
    nvidiaSmiPath: config.NVIDIA_SMI_PATH,
    cudaVisibleDevices: config.CUDA_VISIBLE_DEVICES,
  });
  const index = /^cuda:(\d+)$/.exec(requested)?.[1];
  if (index !== undefined) gpus = gpus.filter((gpu) => gpu.index === Number(index));
  if (gpus.length === 0 && requested !== 'auto') {
    if (!config.ALLOW_CPU_FALLBACK) {
      throw new VectorizerError(
        'NO_GPU',
        `VECTORIZER_DEVICE=${requested} but ${index === undefined ? 'no GPU is visible' : `GPU ${index} is not visible`} (nvidia-smi: ${config.NVIDIA_SMI_PATH}, CUDA_VISIBLE_DEVICES=${config.CUDA_VISIBLE_DEVICES ?? 'unset'})`,
        {
          hint:
            'check `nvidia-smi` and CUDA_VISIBLE_DEVICES; in a container, install the NVIDIA Container Toolkit on the host ' +
            'and pass the GPUs through (`docker run --gpus all`; compose reserves them under deploy.resources), or run ' +
            'CPU workers (VECTORIZER_DEVICE=cpu, the compose profile workers-cpu); ALLOW_CPU_FALLBACK=true accepts CPU',
        },
      );
    }
    logger.warn({ requested }, 'no GPU visible: falling back to one CPU worker (ALLOW_CPU_FALLBACK=true)');
  }
  if (gpus.length === 0 || config.BATCH_SIZE !== undefined) {
    return planWorkers(gpus, { ...sizing, modelBytes: 0, activationBytesPerImage: 1 });
  }
  const footprint = await modelFootprint(await resolveConfiguredModel(config, logger));
  logger.info({ ...footprint, reserveMb: config.GPU_MEMORY_RESERVE_MB }, 'sizing batches from free VRAM');
  return planWorkers(gpus, { ...sizing, ...footprint });
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function withDevice(plan: WorkerPlan, device: string): WorkerPlan {
  return { ...plan, device, env: { ...plan.env, VECTORIZER_DEVICE: device } };
}

async function supervise(
  config: Config,
  logger: Logger,
  plans: WorkerPlan[],
  opts: WorkerCommandOptions,
): Promise<number> {
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
  });
  const onSignal = (signal: NodeJS.Signals) => supervisor.stop(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const drainAbort = new AbortController();
  // The Postgres listener + reconcile loop run here, in the parent, not per device: one per host
  // bids for the cluster's leadership, and a device worker's restart does not interrupt intake.
  const model = config.WATCH ? (await resolveConfiguredModel(config, logger)).id : undefined;
  const watch = model === undefined ? undefined : await startWatchFromConfig(config, logger, model);
  try {
    const running = supervisor.run();
    const drained = opts.drain
      ? drainThenStop(config, logger, supervisor, drainAbort.signal, model)
      : Promise.resolve(true);
    const code = await running;
    drainAbort.abort();
    // --drain that could not watch the queue must not look like a finished drain.
    return (await drained) ? code : Math.max(code, 1);
  } finally {
    drainAbort.abort();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await watch?.stop();
  }
}

/**
 * Resolves false when the queue could not be watched (the workers are stopped then too). With the
 * reconcile loop running (`watchedModel`), drained also means nothing is left pending in Postgres.
 */
async function drainThenStop(
  config: Config,
  logger: Logger,
  supervisor: WorkerSupervisor,
  signal: AbortSignal,
  watchedModel: string | undefined,
): Promise<boolean> {
  let queues: Awaited<ReturnType<typeof openQueues>> | undefined;
  let pool: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    queues = await openQueues(config);
    const queue = queues.queue;
    if (watchedModel !== undefined) pool = await openDatabase(config, { max: 1 });
    const embeddings = pool && new EmbeddingsRepository(pool);
    const backlog =
      embeddings &&
      (async () =>
        pendingInPostgres(await embeddings.countMissing(watchedModel as string), await getQueueStats(queue)));
    if (await waitUntilDrained(queue, { pollMs: DRAIN_POLL_MS, signal, backlog })) {
      logger.info('queue drained: nothing waiting, active or delayed');
      supervisor.stop('queue drained');
    }
    return true;
  } catch (error) {
    logger.error({ err: error }, 'cannot watch the queue for --drain; stopping workers');
    supervisor.stop('drain watcher failed');
    return false;
  } finally {
    await queues?.close();
    await pool?.end();
  }
}
