import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '@vectorizer/logger';
import { EXIT_CANNOT_WORK } from '@vectorizer/errors';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy';
import { nodeArgsFor } from './worker-entry';

export interface SupervisedWorkerOptions {
  workerId: string;
  /** For logs: "cuda:1" or "cpu". */
  device: string;
  entry: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  restartPolicy?: RestartPolicyOptions;
  /** Where child output goes; the supervisor's stdout by default. */
  output?: NodeJS.WritableStream;
}

export type WorkerOutcome = 'stopped' | 'gave-up';

/**
 * One device's worker process, kept alive: restarted with backoff after a crash, given up on after
 * repeated "cannot work" exits. Child output is forwarded line by line: JSON log lines unchanged
 * (they carry their own workerId/device), anything else (native library messages) prefixed with
 * the device so it can be attributed.
 */
export class SupervisedWorker {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly policy: RestartPolicy;
  private resolveDone!: (outcome: WorkerOutcome) => void;
  readonly done: Promise<WorkerOutcome>;

  constructor(private readonly options: SupervisedWorkerOptions) {
    this.policy = new RestartPolicy(options.restartPolicy);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { options } = this;
    const startedAt = Date.now();
    const child = spawn(process.execPath, nodeArgsFor(options.entry), {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    options.logger.info({ workerId: options.workerId, device: options.device, pid: child.pid }, 'worker started');
    this.forward(child.stdout);
    this.forward(child.stderr);
    child.once('error', (error) =>
      options.logger.error({ workerId: options.workerId, err: error }, 'worker could not be spawned'),
    );
    child.once('close', (code, signal) => this.onExit(code, signal, Date.now() - startedAt));
  }

  /** Asks the child to finish its in-flight batch and exit; no restart afterwards. */
  stop(): void {
    this.stopping = true;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      this.resolveDone('stopped');
      return;
    }
    if (this.isRunning()) this.child?.kill('SIGTERM');
  }

  kill(): void {
    this.stopping = true;
    if (this.isRunning()) this.child?.kill('SIGKILL');
  }

  private isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, ranForMs: number): void {
    const { logger, workerId, device } = this.options;
    if (this.stopping) {
      logger.info({ workerId, device, code, signal }, 'worker stopped');
      this.resolveDone('stopped');
      return;
    }
    const decision = this.policy.afterExit(code, ranForMs);
    const cause =
      code === EXIT_CANNOT_WORK
        ? 'cannot work (exit 78: model or configuration broken; see its fatal log line above)'
        : 'crashed';
    if (decision.action === 'give-up') {
      logger.error({ workerId, device, code, signal }, `giving up on ${device}: worker ${decision.reason}`);
      this.resolveDone('gave-up');
      return;
    }
    logger.warn(
      { workerId, device, code, signal, ranForMs, restartInMs: decision.delayMs, attempt: decision.attempt },
      `worker ${cause}; restarting`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
    }, decision.delayMs);
  }

  private forward(stream: NodeJS.ReadableStream | null): void {
    if (!stream) return;
    const output = this.options.output ?? process.stdout;
    const prefix = `[${this.options.device}] `;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      output.write(line.startsWith('{') ? `${line}\n` : `${prefix}${line}\n`);
    });
  }
}
