export interface MicroBatcherOptions<TIn, TOut> {
  /** A batch closes as soon as it holds this many items. */
  maxBatchSize: number;
  /**
   * A partial batch closes this long after its first item arrived, or when the running batches
   * end if that is later: started beside a running batch it would only wait behind it for the
   * model, while it could still be filling.
   */
  maxWaitMs: number;
  /**
   * Batches that may run at once. 1: the next batch collects while one runs. 2: a full next batch
   * may start while the previous one finishes its tail (e.g. inference of k+1 overlaps the write of k).
   */
  maxInFlight: number;
  /**
   * Runs one batch and returns each item's own result, keyed by the item itself (never matched by
   * position alone). An item left without a result fails; a rejection fails every item.
   */
  run: (items: TIn[]) => Promise<Map<TIn, TOut>>;
}

interface Pending<TIn, TOut> {
  item: TIn;
  resolve: (value: TOut) => void;
  reject: (reason: unknown) => void;
  arrivedAt: number;
}

/**
 * Collects single items from concurrent callers into batches for a function that is cheaper per
 * item in bulk (one session.run, one multi-row INSERT). Each caller awaits its own item's result.
 */
export class MicroBatcher<TIn, TOut> {
  private readonly options: MicroBatcherOptions<TIn, TOut>;
  private queue: Pending<TIn, TOut>[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The oldest queued item has waited maxWaitMs; dispatch once no batch runs. */
  private due = false;

  constructor(options: MicroBatcherOptions<TIn, TOut>) {
    for (const key of ['maxBatchSize', 'maxInFlight'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1)
        throw new RangeError(`MicroBatcher ${key} must be an integer >= 1`);
    }
    if (!(options.maxWaitMs >= 0)) throw new RangeError('MicroBatcher maxWaitMs must be >= 0');
    this.options = options;
  }

  submit(item: TIn): Promise<TOut> {
    return new Promise<TOut>((resolve, reject) => {
      this.queue.push({ item, resolve, reject, arrivedAt: Date.now() });
      if (this.queue.length === 1) this.armTimer();
      this.dispatch();
    });
  }

  /** Fires when the oldest queued item has waited maxWaitMs. */
  private armTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const oldest = this.queue[0];
    if (oldest === undefined) return;
    const wait = Math.max(0, oldest.arrivedAt + this.options.maxWaitMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = true;
      this.dispatch();
    }, wait);
  }

  private dispatch(): void {
    const { maxBatchSize, maxInFlight } = this.options;
    const full = () => this.queue.length >= maxBatchSize;
    const partialMayStart = () => this.due && this.queue.length > 0 && this.inFlight === 0;
    while (this.inFlight < maxInFlight && (full() || partialMayStart())) {
      const batch = this.queue.splice(0, maxBatchSize);
      this.due = false;
      // The leftovers' clock runs from their own arrival; they may already be due.
      this.armTimer();
      this.start(batch);
    }
  }

  private start(batch: Pending<TIn, TOut>[]): void {
    this.inFlight += 1;
    // execute() settles every item itself and never rejects.
    void this.execute(batch).finally(() => {
      this.inFlight -= 1;
      this.dispatch();
    });
  }

  private async execute(batch: Pending<TIn, TOut>[]): Promise<void> {
    try {
      const results = await this.options.run(batch.map((pending) => pending.item));
      for (const pending of batch) {
        if (results.has(pending.item)) pending.resolve(results.get(pending.item) as TOut);
        else pending.reject(new Error('MicroBatcher run returned no result for this item'));
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
