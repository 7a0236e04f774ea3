import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import type { WorkerPlan } from '@vectorizer/devices';
import type { Logger } from '@vectorizer/logger';
import type { RestartPolicyOptions } from './restart-policy';
import { SupervisedWorker } from './supervised-worker';
import { type DeviceHealthEntry, deviceHealthFile, writeSupervisorHealth } from './supervisor-health';

export interface SupervisorOptions {
  plans: readonly WorkerPlan[];
  entry: string;
  cwd: string;
  /** The environment children inherit before their plan's variables are applied. */
  baseEnv: NodeJS.ProcessEnv;
  logger: Logger;
  /** After SIGTERM, how long children get to finish their batch before SIGKILL. */
  shutdownTimeoutMs: number;
  restartPolicy?: RestartPolicyOptions;
  output?: NodeJS.WritableStream;
  /**
   * WORKER_HEALTH_FILE: the supervisor lists every device there (given up on or not) and each child
   * writes its own file beside it, so `worker --health` fails as soon as any one device's worker fails.
   */
  healthFile?: string;
}

/**
 * "host-cuda1-4242": the device, and the supervisor's pid so two supervisors on one host never share
 * an id (and one registry entry). Stable across a child's restarts: the new child takes over its entry.
 */
export function workerIdFor(plan: WorkerPlan, host = hostname(), supervisorPid = process.pid): string {
  return `${host}-${plan.device.replace(/[^A-Za-z0-9]/g, '')}-${supervisorPid}`;
}

/**
 * The child's environment: the supervisor's, the plan's variables, its id, and the libuv pool size
 * from its thread plan — libuv reads UV_THREADPOOL_SIZE once, when its pool starts, so only the
 * parent can set it in time. An operator's own UV_THREADPOOL_SIZE wins.
 */
export function childEnv(baseEnv: NodeJS.ProcessEnv, plan: WorkerPlan, workerId: string): NodeJS.ProcessEnv {
  return {
    ...baseEnv,
    ...plan.env,
    WORKER_ID: workerId,
    UV_THREADPOOL_SIZE: baseEnv.UV_THREADPOOL_SIZE ?? String(plan.threads.uvThreadpoolSize),
  };
}

/**
 * Runs one worker process per planned device until stopped. `run()` resolves with the exit code
 * for the supervisor: 0 after a requested stop that every child honoured with exit 0; 1 when a
 * child did not stop cleanly (exited non-zero, or was killed at the deadline) or when every device
 * was given up on.
 */
export class WorkerSupervisor {
  private readonly workers: SupervisedWorker[];
  private readonly devices: DeviceHealthEntry[];
  private stopRequested = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SupervisorOptions) {
    const { healthFile } = options;
    this.devices = options.plans.map((plan) => ({
      device: plan.device,
      healthFile: healthFile ? deviceHealthFile(healthFile, plan.device) : '',
      state: 'running' as const,
    }));
    this.workers = options.plans.map((plan, index) => {
      const workerId = workerIdFor(plan);
      const env = childEnv(options.baseEnv, plan, workerId);
      return new SupervisedWorker({
        workerId,
        device: plan.device,
        entry: options.entry,
        cwd: options.cwd,
        env: healthFile ? { ...env, WORKER_HEALTH_FILE: this.devices[index].healthFile } : env,
        logger: options.logger,
        restartPolicy: options.restartPolicy,
        output: options.output,
      });
    });
  }

  get pids(): (number | undefined)[] {
    return this.workers.map((worker) => worker.pid);
  }

  async run(): Promise<number> {
    // Synchronous up to the starts: a stop() requested meanwhile must find every child started.
    this.removeStaleDeviceHealth();
    void this.writeHealth();
    for (const worker of this.workers) worker.start();
    const outcomes = await Promise.all(
      this.workers.map(async (worker, index) => {
        const outcome = await worker.done;
        if (outcome === 'gave-up') {
          this.devices[index].state = 'gave-up';
          await this.writeHealth();
        }
        return outcome;
      }),
    );
    if (this.killTimer) clearTimeout(this.killTimer);
    if (!this.stopRequested && outcomes.every((outcome) => outcome === 'gave-up')) {
      this.options.logger.fatal('every device was given up on; no worker is running');
      return 1;
    }
    const unclean = outcomes.filter((outcome) => outcome === 'stopped-unclean').length;
    if (unclean > 0) {
      this.options.logger.error({ unclean }, `${unclean} worker(s) did not stop cleanly; exiting 1`);
      return 1;
    }
    return 0;
  }

  /**
   * Graceful stop: SIGTERM every child (each finishes its in-flight batch), SIGKILL whatever is
   * left after the shutdown timeout. A second call (a second Ctrl-C) kills at once.
   */
  stop(reason: string): void {
    if (this.stopRequested) {
      this.options.logger.warn({ reason }, 'second stop request: killing workers now');
      this.killAll();
      return;
    }
    this.stopRequested = true;
    this.options.logger.info({ reason, timeoutMs: this.options.shutdownTimeoutMs }, 'stopping workers');
    for (const worker of this.workers) worker.stop();
    this.killTimer = setTimeout(() => {
      this.options.logger.error(
        { timeoutMs: this.options.shutdownTimeoutMs },
        'workers did not stop in time: killing them',
      );
      this.killAll();
    }, this.options.shutdownTimeoutMs);
  }

  /** A device's file from a previous run (a restarted container keeps /tmp) must not pass for it. */
  private removeStaleDeviceHealth(): void {
    if (!this.options.healthFile) return;
    for (const entry of this.devices) rmSync(entry.healthFile, { force: true });
  }

  private async writeHealth(): Promise<void> {
    const file = this.options.healthFile;
    if (!file) return;
    await writeSupervisorHealth(file, this.devices).catch((error: unknown) =>
      this.options.logger.warn({ err: error, healthFile: file }, 'could not write the supervisor health file'),
    );
  }

  private killAll(): void {
    for (const worker of this.workers) worker.kill();
  }
}
