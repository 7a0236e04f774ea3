/**
 * At most `limit` requests in flight per host, so one slow or rate-limiting shop cannot take every
 * fetch slot and a crawl stays polite. Waiters are served first come, first served.
 */
export class HostLimiter {
  private readonly hosts = new Map<string, { active: number; waiting: Array<() => void> }>();

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`per-host concurrency must be an integer >= 1, got ${limit}`);
  }

  /** Resolves with a release function once a slot for `host` is free; rejects if `signal` aborts first. */
  async acquire(host: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    let state = this.hosts.get(host);
    if (!state) {
      state = { active: 0, waiting: [] };
      this.hosts.set(host, state);
    }
    // A freed slot is handed straight to the next waiter, so a newcomer cannot jump the queue.
    if (state.active >= this.limit) await this.wait(state, signal);
    else state.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(host, state);
    };
  }

  /** Requests in flight for `host` (for tests and metrics). */
  active(host: string): number {
    return this.hosts.get(host)?.active ?? 0;
  }

  private wait(state: { waiting: Array<() => void> }, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        state.waiting.splice(state.waiting.indexOf(wake), 1);
        reject(signal?.reason);
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      state.waiting.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(host: string, state: { active: number; waiting: Array<() => void> }): void {
    const next = state.waiting.shift();
    if (next) return next();
    state.active--;
    if (state.active === 0) this.hosts.delete(host);
  }
}
