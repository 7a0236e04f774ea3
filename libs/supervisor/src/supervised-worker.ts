import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '@vectorizer/logger';
import { EXIT_CANNOT_WORK } from '@vectorizer/errors';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy';
import { isWorkerReadyMessage, nodeArgsFor } from './worker-entry';

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
  /** Each time a child passed its model self-test and is about to take jobs (announceWorkerReady). */
  onReady?: (model: string) => void;
}

/** 'stopped': exited 0 when asked to stop; 'stopped-unclean': asked to stop, but exited non-zero or was killed. */
export type WorkerOutcome = 'stopped' | 'stopped-unclean' | 'gave-up';

/** What a child said when it failed: its last fatal log line, folded into the supervisor's own line. */
export interface ChildFailure {
  code?: string;
  msg?: string;
  hint?: string;
}

/**
 * One device's worker process, kept alive: restarted with backoff after a crash, given up on after
 * a "cannot work" exit (78). Child output is forwarded line by line: JSON log lines unchanged
 * (they carry their own workerId/device), anything else (native library messages) prefixed with
 * the device so it can be attributed. A child's fatal line is held back and its message, code and
 * fix go into the supervisor's line about that exit, so each failed attempt is one line.
 */
export class SupervisedWorker {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastFailure: ChildFailure | undefined;
  /** The current child said it is ready: from then on it may hold jobs. */
  private ready = false;
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

  /** The last child's own fatal line (code, message, fix), e.g. for the line about giving up. */
  get failure(): ChildFailure | undefined {
    return this.lastFailure;
  }

  start(): void {
    const { options } = this;
    const startedAt = Date.now();
    const child = spawn(process.execPath, nodeArgsFor(options.entry), {
      cwd: options.cwd,
      env: options.env,
      // The IPC channel carries the child's "ready" (announceWorkerReady); a child that outlives its
      // supervisor sees it disconnect.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.lastFailure = undefined;
    this.ready = false;
    child.on('message', (message) => {
      if (!isWorkerReadyMessage(message)) return;
      this.ready = true;
      options.onReady?.(message.model);
    });
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
    const failure = this.lastFailure;
    const said = failure?.msg ? `: ${failure.msg}` : '';
    const childFields = failure ? { childCode: failure.code, hint: failure.hint } : {};
    if (this.stopping) {
      // A child stopped before it said ready held no job: dying of our SIGTERM (before its own
      // handler was installed) loses nothing, so it is a clean stop too.
      const stoppedWhileStarting = !this.ready && (code === 0 || signal === 'SIGTERM');
      const clean = code === 0 || stoppedWhileStarting;
      const fields = { workerId, device, code, signal, ...childFields };
      if (stoppedWhileStarting) logger.info(fields, 'worker stopped while starting (it held no job)');
      else if (clean) logger.info(fields, 'worker stopped');
      else logger.error(fields, `worker did not stop cleanly (${signal ?? `exit ${code}`})${said}`);
      this.resolveDone(clean ? 'stopped' : 'stopped-unclean');
      return;
    }
    const decision = this.policy.afterExit(code, ranForMs);
    const how = signal
      ? `killed by ${signal}`
      : code === EXIT_CANNOT_WORK
        ? `exited ${code} (cannot work: model or configuration broken)`
        : `exited ${code}`;
    if (decision.action === 'give-up') {
      logger.error(
        { workerId, device, code, signal, ...childFields },
        `giving up on ${device}: worker ${how}${said}; it ${decision.reason}`,
      );
      this.resolveDone('gave-up');
      return;
    }
    logger.warn(
      {
        workerId,
        device,
        code,
        signal,
        ranForMs,
        restartInMs: decision.delayMs,
        attempt: decision.attempt,
        ...childFields,
      },
      `worker on ${device} ${how}${said}; restarting in ${formatDelay(decision.delayMs)} (attempt ${decision.attempt})`,
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
      if (!line.startsWith('{')) return void output.write(`${prefix}${line}\n`);
      const failure = this.lastFailure ? undefined : fatalOf(line);
      // The first fatal line is reported with the exit, as one line; anything after it passes through.
      if (failure) this.lastFailure = failure;
      else output.write(`${line}\n`);
    });
  }
}

function fatalOf(line: string): ChildFailure | undefined {
  try {
    const entry = JSON.parse(line) as { level?: unknown; code?: unknown; msg?: unknown; hint?: unknown };
    if (entry.level !== 'fatal' && entry.level !== 60) return undefined;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    return { code: text(entry.code), msg: text(entry.msg), hint: text(entry.hint) };
  } catch {
    return undefined;
  }
}

function formatDelay(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
