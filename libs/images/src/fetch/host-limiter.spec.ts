import { HostLimiter } from './host-limiter';

describe('HostLimiter', () => {
  it('admits at most `limit` per host, hands freed slots over in order, and keeps hosts apart', async () => {
    const limiter = new HostLimiter(2);
    const order: number[] = [];
    const a1 = await limiter.acquire('a');
    const a2 = await limiter.acquire('a');
    const b1 = await limiter.acquire('b');
    const waiting = [3, 4].map((n) => limiter.acquire('a').then((release) => (order.push(n), release)));
    await Promise.resolve();
    expect(limiter.active('a')).toBe(2);
    expect(order).toEqual([]);
    a1();
    a1(); // releasing twice must not free a second slot
    const r3 = await waiting[0];
    expect(order).toEqual([3]);
    expect(limiter.active('a')).toBe(2);
    a2();
    const r4 = await waiting[1];
    expect(order).toEqual([3, 4]);
    [r3, r4, b1].forEach((release) => release());
    expect(limiter.active('a')).toBe(0);
    expect(limiter.active('b')).toBe(0);
  });

  it('a newcomer cannot take a slot that was just handed to a waiter', async () => {
    const limiter = new HostLimiter(1);
    const first = await limiter.acquire('h');
    const waiter = limiter.acquire('h');
    first();
    const newcomer = limiter.acquire('h');
    const released = await waiter;
    let newcomerIn = false;
    void newcomer.then(() => (newcomerIn = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(newcomerIn).toBe(false);
    released();
    (await newcomer)();
    expect(limiter.active('h')).toBe(0);
  });

  it('stops waiting when the signal aborts', async () => {
    const limiter = new HostLimiter(1);
    const held = await limiter.acquire('h');
    const controller = new AbortController();
    const waiting = limiter.acquire('h', controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    held();
    expect(limiter.active('h')).toBe(0);
  });

  it('rejects a limit below 1', () => {
    expect(() => new HostLimiter(0)).toThrow(RangeError);
  });
});
