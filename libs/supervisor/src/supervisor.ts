import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import type { WorkerPlan } from '@vectorizer/devices';
import { EXIT_CANNOT_WORK, EXIT_CLEAN, EXIT_RESTART, settlesWithin } from '@vectorizer/errors';
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
  /**
   * After a stop request, how long children get to finish their batch before SIGKILL; intake gets
   * the same time to stop, and is abandoned after it (run() resolves regardless).
   */
  shutdownTimeoutMs: number;
  /**
   * Product intake (the Postgres listener and reconcile loop). Started only once a worker passed its
   * model self-test, for the model that worker registered; stopped when every device is given up on
   * or on stop: a broken worker never enqueues anything.
   */
  startIntake?: (model: string) => Promise<IntakeHandle>;
  restartPolicy?: RestartPolicyOptions;
  output?: NodeJS.WritableStream;
  /**
   * WORKER_HEALTH_FILE: the supervisor lists every device there (given up on or not) and each child
   * writes its own file beside it, so `worker --health` fails as soon as any one device's worker fails.
   */
  healthFile?: string;
}

export interface IntakeHandle {
  stop(): Promise<void>;
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
 * for the supervisor: 0 after a requested stop that every child honoured (or that came before the
 * child held any job); 1 when a child did not stop cleanly (exited non-zero after it was ready, or
 * was killed at the deadline); 78 when every device was given up on (each said it cannot work).
 */
export class WorkerSupervisor {
  private readonly workers: SupervisedWorker[];
  private readonly devices: DeviceHealthEntry[];
  private stopRequested = false;
  private killTimer: NodeJS.Timeout | undefined;
  private stopDeadline: number | undefined;
  private proven: string | undefined;
  private intake: Promise<IntakeHandle | undefined> | undefined;
  private intakeStopped: Promise<void> | undefined;

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
        onReady: (model) => this.onWorkerReady(plan.device, model),
      });
    });
  }

  get pids(): (number | undefined)[] {
    return this.workers.map((worker) => worker.pid);
  }

  /** The model a worker proved (passed its self-test with and registered); undefined until then. */
  get provenModel(): string | undefined {
    return this.proven;
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
          if (this.devices.every((device) => device.state === 'gave-up')) this.beginIntakeStop();
        }
        return outcome;
      }),
    );
    if (this.killTimer) clearTimeout(this.killTimer);
    this.beginIntakeStop();
    await this.intakeStopped;
    if (!this.stopRequested && outcomes.every((outcome) => outcome === 'gave-up')) {
      const failure = this.workers.map((worker) => worker.failure).find((f) => f?.msg !== undefined);
      const fix = failure?.hint && !failure.msg?.includes(failure.hint) ? ` — fix: ${failure.hint}` : '';
      const why = failure?.msg ? `: ${failure.msg}${fix}` : '';
      this.options.logger.fatal(
        { code: failure?.code, hint: failure?.hint },
        `every device was given up on, no worker is running; exiting ${EXIT_CANNOT_WORK}${why}`,
      );
      return EXIT_CANNOT_WORK;
    }
    const unclean = outcomes.filter((outcome) => outcome === 'stopped-unclean').length;
    if (unclean > 0) {
      this.options.logger.error({ unclean }, `${unclean} worker(s) did not stop cleanly; exiting ${EXIT_RESTART}`);
      return EXIT_RESTART;
    }
    return EXIT_CLEAN;
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
    this.stopDeadline = Date.now() + this.options.shutdownTimeoutMs;
    this.options.logger.info({ reason, timeoutMs: this.options.shutdownTimeoutMs }, 'stopping workers');
    this.beginIntakeStop();
    for (const worker of this.workers) worker.stop();
    this.killTimer = setTimeout(() => {
      this.options.logger.error(
        { timeoutMs: this.options.shutdownTimeoutMs },
        'workers did not stop in time: killing them',
      );
      this.killAll();
    }, this.options.shutdownTimeoutMs);
  }

  private onWorkerReady(device: string, model: string): void {
    if (this.proven === undefined) {
      this.proven = model;
      const { startIntake, logger } = this.options;
      if (!startIntake || this.stopRequested) return;
      logger.info({ device, model }, `worker on ${device} passed its model self-test: starting intake for ${model}`);
      this.intake = startIntake(model).catch((error: unknown) => {
        logger.error({ err: error, model }, 'could not start intake; workers go on with the queue as it is');
        return undefined;
      });
    } else if (model !== this.proven) {
      // Every child reads the same settings; two models means the files changed under a restart.
      this.options.logger.error(
        { device, model, intakeModel: this.proven },
        `worker on ${device} runs ${model}, not ${this.proven}: intake keeps enqueuing for ${this.proven}`,
      );
    }
  }

  /**
   * Stops intake once (on stop, or when every device was given up on), within the stop's deadline:
   * a listener or reconcile pass stuck on a database that never answers is abandoned at the
   * deadline, so the supervisor's own stop is bounded whatever its dependencies do.
   */
  private beginIntakeStop(): void {
    if (this.intakeStopped || !this.intake) return;
    const intake = this.intake;
    const deadline = this.stopDeadline ?? Date.now() + this.options.shutdownTimeoutMs;
    const timeoutMs = Math.max(0, deadline - Date.now());
    this.intakeStopped = (async () => {
      const stopped = (async () => (await intake)?.stop())().catch((error: unknown) => {
        this.options.logger.warn({ err: error }, 'intake did not stop cleanly');
      });
      if (!(await settlesWithin(timeoutMs, stopped)))
        this.options.logger.warn(
          { timeoutMs },
          'intake did not stop in time (PostgreSQL or Redis does not answer); abandoning it',
        );
    })();
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
