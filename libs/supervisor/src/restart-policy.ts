import { EXIT_CANNOT_WORK } from '@vectorizer/errors';

export interface RestartPolicyOptions {
  /** Delay before the first restart; doubles with each consecutive crash. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A child that ran this long counts as healthy: its next crash starts the backoff over. */
  stableAfterMs: number;
  /**
   * Exits with code 78 before giving up on the device. 78 means the error registry judged that a
   * restart cannot help (a wrong password, a missing database, a broken model), so the default is 1.
   */
  maxCannotWorkExits: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  stableAfterMs: 60_000,
  maxCannotWorkExits: 1,
};

export type RestartDecision =
  { action: 'restart'; delayMs: number; attempt: number } | { action: 'give-up'; reason: string };

/**
 * Decides what happens after a child exited unexpectedly: restart after an exponential delay, or
 * give up when it keeps saying it cannot work (exit 78), so a broken model never restart-loops.
 */
export class RestartPolicy {
  private consecutiveCrashes = 0;
  private cannotWorkExits = 0;

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  afterExit(exitCode: number | null, ranForMs: number): RestartDecision {
    if (ranForMs >= this.options.stableAfterMs) {
      this.consecutiveCrashes = 0;
      this.cannotWorkExits = 0;
    }
    if (exitCode === EXIT_CANNOT_WORK) {
      this.cannotWorkExits += 1;
      if (this.cannotWorkExits >= this.options.maxCannotWorkExits) {
        return {
          action: 'give-up',
          reason: `exited ${this.cannotWorkExits} times with code ${EXIT_CANNOT_WORK} (cannot work: model or configuration broken)`,
        };
      }
    }
    this.consecutiveCrashes += 1;
    const delayMs = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** (this.consecutiveCrashes - 1));
    return { action: 'restart', delayMs, attempt: this.consecutiveCrashes };
  }
}
