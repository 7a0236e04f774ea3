import { InvalidArgumentError, Option, type Command } from 'commander';
import type { WorkerPlan } from '@vectorizer/devices';
import { EXIT_CLEAN } from '@vectorizer/errors';
import {
  type Runtime,
  nothingToDrain,
  startIntakeWatcher,
  superviseWorkers,
  workerHealth,
  workerPlans,
} from '@vectorizer/runtime';
import { runCommand } from '../context';

interface WorkerCommandOptions {
  plan?: boolean;
  cores?: number;
  drain?: boolean;
  health?: boolean;
  entry?: string;
}

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
        async ({ logger, runtime }) => {
          if (opts.health) return health(runtime);
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

async function health(runtime: Runtime): Promise<number> {
  const result = await workerHealth(runtime);
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
  const supervision = superviseWorkers(runtime, {
    plans,
    entry: opts.entry,
    drain: opts.drain,
    // The Postgres listener + reconcile loop run here, in the parent, not per device: one per host
    // bids for the cluster's leadership, and a device worker's restart does not interrupt intake.
    startIntake: config.WATCH ? (model) => startIntakeWatcher(runtime, model) : undefined,
  });
  onStopRequest = (signal) => supervision.stop(signal);
  return supervision.run();
}
