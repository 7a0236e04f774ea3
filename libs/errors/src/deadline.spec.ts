import { setTimeout as sleep } from 'node:timers/promises';
import { settlesWithin, withDeadline } from './deadline';

describe('withDeadline', () => {
  it('answers with the work when it settles in time', async () => {
    await expect(
      withDeadline(
        1_000,
        () => new Error('late'),
        async () => 'done',
      ),
    ).resolves.toBe('done');
    await expect(withDeadline(1_000, () => new Error('late'), Promise.reject(new Error('own')))).rejects.toThrow('own');
  });

  it("rejects with the caller's error when the time runs out", async () => {
    const started = Date.now();
    await expect(
      withDeadline(50, () => new Error('no answer within 50 ms'), sleep(5_000, undefined, { ref: false })),
    ).rejects.toThrow('no answer within 50 ms');
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe('settlesWithin', () => {
  it('is true for work fulfilled in time, rethrows work that fails, and is false for work that is late', async () => {
    await expect(settlesWithin(1_000, async () => undefined)).resolves.toBe(true);
    await expect(settlesWithin(1_000, Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    await expect(settlesWithin(50, sleep(5_000, undefined, { ref: false }))).resolves.toBe(false);
  });
});
