import { MemoryBudget } from './memory-budget';

/** A task that records how much of the budget was taken while it ran, and ends when told to. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * True when exactly the whole capacity is free, seen through run(): a job weighing all of it starts
 * at once, and while it runs not one more byte can be taken.
 */
async function hasExactlyItsCapacityFree(budget: MemoryBudget): Promise<boolean> {
  const hold = gate();
  let whole = false;
  let extra = false;
  const all = budget.run(budget.capacity, async () => {
    whole = true;
    await hold.promise;
  });
  const one = budget.run(1, async () => {
    extra = true;
  });
  await tick();
  const exact = whole && !extra;
  hold.open();
  await Promise.all([all, one]);
  return exact;
}

describe('MemoryBudget', () => {
  it('never lets the weights running at once exceed the capacity', async () => {
    const budget = new MemoryBudget(100);
    let running = 0;
    let peak = 0;
    const weights = [60, 30, 50, 10, 40, 70, 20, 90, 5];
    await Promise.all(
      weights.map((weight) =>
        budget.run(weight, async () => {
          running += weight;
          peak = Math.max(peak, running);
          await tick();
          await tick();
          running -= weight;
        }),
      ),
    );
    expect(peak).toBeLessThanOrEqual(100);
    expect(peak).toBeGreaterThan(60); // it does run work side by side
    expect(await hasExactlyItsCapacityFree(budget)).toBe(true);
  });

  it('runs an item heavier than the whole budget alone instead of never', async () => {
    const budget = new MemoryBudget(100);
    const small = gate();
    const order: string[] = [];
    const first = budget.run(10, async () => {
      order.push('small');
      await small.promise;
    });
    const huge = budget.run(500, async () => {
      order.push('huge');
    });
    await tick();
    expect(order).toEqual(['small']);
    small.open();
    await Promise.all([first, huge]);
    expect(order).toEqual(['small', 'huge']);
    expect(await hasExactlyItsCapacityFree(budget)).toBe(true);
  });

  it('serves waiters in arrival order so a large image is not starved by small ones', async () => {
    const budget = new MemoryBudget(100);
    const hold = gate();
    const order: string[] = [];
    const holder = budget.run(50, () => hold.promise);
    const large = budget.run(80, async () => {
      order.push('large');
    });
    const small = budget.run(10, async () => {
      order.push('small');
    });
    await tick();
    // 50 are free and the small one would fit, but the large one asked first.
    expect(order).toEqual([]);
    hold.open();
    await Promise.all([holder, large, small]);
    expect(order).toEqual(['large', 'small']);
  });

  it('gives the weight back when the work fails', async () => {
    const budget = new MemoryBudget(10);
    await expect(
      budget.run(10, async () => {
        throw new Error('decode failed');
      }),
    ).rejects.toThrow('decode failed');
    expect(await hasExactlyItsCapacityFree(budget)).toBe(true);
  });
});
