import { MicroBatcher } from './micro-batcher';

/** A run function whose batches the test completes by hand; `running()` counts the batches not yet completed. */
function controlledRun() {
  const calls: { items: number[]; finish: () => void; fail: (error: Error) => void }[] = [];
  let running = 0;
  const run = (items: number[]) =>
    new Promise<Map<number, string>>((resolve, reject) => {
      running += 1;
      calls.push({
        items,
        finish: () => {
          running -= 1;
          resolve(new Map(items.map((i) => [i, `r${i}`])));
        },
        fail: (error) => {
          running -= 1;
          reject(error);
        },
      });
    });
  return { calls, run, running: () => running };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('MicroBatcher', () => {
  afterEach(() => jest.useRealTimers());

  it('closes a batch as soon as it is full and gives each caller its own result', async () => {
    const { calls, run } = controlledRun();
    const batcher = new MicroBatcher({ maxBatchSize: 4, maxWaitMs: 60_000, maxInFlight: 1, run });
    const results = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    expect(calls.map((c) => c.items)).toEqual([[1, 2, 3, 4]]);
    calls[0]?.finish();
    await expect(Promise.all(results.slice(0, 4))).resolves.toEqual(['r1', 'r2', 'r3', 'r4']);
    // 5 stayed queued: it heads the next full batch.
    results.push(...[6, 7, 8].map((i) => batcher.submit(i)));
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    calls[1]?.finish();
    await expect(Promise.all(results.slice(4))).resolves.toEqual(['r5', 'r6', 'r7', 'r8']);
  });

  it('runs a partial batch once its oldest item has waited maxWaitMs', async () => {
    jest.useFakeTimers();
    const { calls, run } = controlledRun();
    const batcher = new MicroBatcher({ maxBatchSize: 8, maxWaitMs: 1_000, maxInFlight: 1, run });
    const first = batcher.submit(1);
    jest.advanceTimersByTime(600);
    const second = batcher.submit(2);
    jest.advanceTimersByTime(399);
    expect(calls).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    calls[0]?.finish();
    await expect(Promise.all([first, second])).resolves.toEqual(['r1', 'r2']);
  });

  it('keeps at most maxInFlight batches running and collects the next one meanwhile', async () => {
    jest.useFakeTimers();
    const { calls, run, running } = controlledRun();
    const batcher = new MicroBatcher({ maxBatchSize: 2, maxWaitMs: 10, maxInFlight: 1, run });
    const results = [1, 2, 3, 4, 5, 6].map((i) => batcher.submit(i));
    jest.advanceTimersByTime(50);
    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    expect(running()).toBe(1);
    calls[0]?.finish();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    calls[1]?.finish();
    await jest.advanceTimersByTimeAsync(0);
    calls[2]?.finish();
    await expect(Promise.all(results)).resolves.toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  });

  it('pipelines up to maxInFlight batches', async () => {
    const { calls, run, running } = controlledRun();
    const batcher = new MicroBatcher({ maxBatchSize: 2, maxWaitMs: 60_000, maxInFlight: 2, run });
    [1, 2, 3, 4, 5, 6].forEach((i) => void batcher.submit(i).catch(() => undefined));
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(running()).toBe(2);
    // [5, 6] waited for room, and starts as soon as one batch ends.
    calls[0]?.finish();
    await flush();
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    calls.slice(1).forEach((c) => c.fail(new Error('test teardown')));
  });

  it('keeps a partial batch collecting while another runs, and starts it when that one ends', async () => {
    jest.useFakeTimers();
    const { calls, run } = controlledRun();
    const batcher = new MicroBatcher({ maxBatchSize: 4, maxWaitMs: 10, maxInFlight: 2, run });
    const results = [1, 2, 3, 4, 5, 6].map((i) => batcher.submit(i));
    jest.advanceTimersByTime(50);
    results.push(batcher.submit(7));
    // [5, 6] is overdue, but it would only wait behind [1..4] for the model: it keeps filling.
    expect(calls.map((c) => c.items)).toEqual([[1, 2, 3, 4]]);
    // A full batch still starts beside a running one (up to maxInFlight).
    results.push(...[8, 9, 10, 11].map((i) => batcher.submit(i)));
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    calls[0]?.finish();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    calls[1]?.finish();
    await jest.advanceTimersByTimeAsync(9);
    expect(calls).toHaveLength(2);
    // Nothing runs and 9 has waited maxWaitMs: [9, 10, 11] starts.
    await jest.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11],
    ]);
    calls[2]?.finish();
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => `r${i}`));
  });

  it('rejects every item of a failed batch with the batch error and keeps serving later batches', async () => {
    const { calls, run } = controlledRun();
    const batcher = new MicroBatcher({ maxBatchSize: 2, maxWaitMs: 60_000, maxInFlight: 1, run });
    const failed = [batcher.submit(1), batcher.submit(2)];
    calls[0]?.fail(new Error('postgres is down'));
    for (const result of failed) await expect(result).rejects.toThrow('postgres is down');
    const later = [batcher.submit(3), batcher.submit(4)];
    await flush();
    calls[1]?.finish();
    await expect(Promise.all(later)).resolves.toEqual(['r3', 'r4']);
  });

  it('matches results to items by identity, whatever their order, and fails an item left without one', async () => {
    const batcher = new MicroBatcher<{ id: number }, string>({
      maxBatchSize: 3,
      maxWaitMs: 0,
      maxInFlight: 1,
      run: async ([a, b]) =>
        new Map([
          [b as { id: number }, 'second'],
          [a as { id: number }, 'first'],
        ]),
    });
    const [first, second, third] = [1, 2, 3].map((id) => batcher.submit({ id }));
    await expect(first).resolves.toBe('first');
    await expect(second).resolves.toBe('second');
    await expect(third).rejects.toThrow('no result for this item');
  });

  it('runs the partial tail after full batches once its wait is over, each item exactly once', async () => {
    jest.useFakeTimers();
    const seen: number[][] = [];
    const batcher = new MicroBatcher<number, number>({
      maxBatchSize: 4,
      maxWaitMs: 60_000,
      maxInFlight: 1,
      run: async (items) => {
        seen.push(items);
        return new Map(items.map((i) => [i, i]));
      },
    });
    const results = [1, 2, 3, 4, 5, 6].map((i) => batcher.submit(i));
    await jest.advanceTimersByTimeAsync(59_999);
    expect(seen).toEqual([[1, 2, 3, 4]]);
    await jest.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4, 5, 6]);
    // Nothing is left queued: no timer or batch runs anything again.
    await jest.advanceTimersByTimeAsync(120_000);
    expect(seen).toHaveLength(2);
  });

  it('refuses nonsensical limits', () => {
    const run = async (items: number[]) => new Map(items.map((i) => [i, i]));
    expect(() => new MicroBatcher({ maxBatchSize: 0, maxWaitMs: 1, maxInFlight: 1, run })).toThrow('maxBatchSize');
    expect(() => new MicroBatcher({ maxBatchSize: 1, maxWaitMs: 1, maxInFlight: 0, run })).toThrow('maxInFlight');
    expect(() => new MicroBatcher({ maxBatchSize: 1, maxWaitMs: -1, maxInFlight: 1, run })).toThrow('maxWaitMs');
  });
});
