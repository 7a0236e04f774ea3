/**
 * A weighted semaphore over bytes: the jobs a worker holds take their image's decode cost from one
 * budget, so however many jobs are in hand, the memory their decodes hold at once stays under it.
 * A single image larger than the whole budget still runs, alone (its weight is clamped to the
 * budget), so no job waits forever. Waiters are served in arrival order: a large image is not
 * starved by a stream of small ones.
 */
export class MemoryBudget {
  private available: number;
  private readonly waiters: { weight: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isFinite(capacity) || capacity <= 0) throw new RangeError('MemoryBudget capacity must be > 0');
    this.available = capacity;
  }

  /** Runs `work` once `weight` bytes of the budget are free, and gives them back when it settles. */
  async run<T>(weight: number, work: () => Promise<T>): Promise<T> {
    const taken = Math.min(Math.max(0, weight), this.capacity);
    await this.acquire(taken);
    try {
      return await work();
    } finally {
      this.release(taken);
    }
  }

  private acquire(weight: number): Promise<void> {
    if (this.waiters.length === 0 && weight <= this.available) {
      this.available -= weight;
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiters.push({ weight, grant }));
  }

  private release(weight: number): void {
    this.available += weight;
    while (this.waiters.length > 0 && (this.waiters[0] as { weight: number }).weight <= this.available) {
      const next = this.waiters.shift() as { weight: number; grant: () => void };
      this.available -= next.weight;
      next.grant();
    }
  }
}
