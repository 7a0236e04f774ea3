import type { MinimalJob } from 'bullmq';
import { backoffOptions, embedBackoffStrategy } from './job-options';

const jobWith = (backoffMs: number) =>
  ({ opts: { backoff: backoffOptions({ attempts: 5, backoffMs }) } }) as MinimalJob;

describe('embedBackoffStrategy', () => {
  it('doubles the delay each attempt, with up to half of it taken off at random', async () => {
    for (const attemptsMade of [1, 2, 3]) {
      const longest = 1_000 * 2 ** (attemptsMade - 1);
      for (let i = 0; i < 20; i += 1) {
        const delay = await embedBackoffStrategy(attemptsMade, undefined, new Error('503'), jobWith(1_000));
        expect(delay).toBeGreaterThanOrEqual(longest / 2);
        expect(delay).toBeLessThanOrEqual(longest);
      }
    }
  });

  it("waits for the server's Retry-After when it is longer than the backoff, never shorter", async () => {
    const retryAfter = Object.assign(new Error('503'), { retryAfterMs: 30_000 });
    await expect(embedBackoffStrategy(1, undefined, retryAfter, jobWith(1_000))).resolves.toBe(30_000);
    const short = Object.assign(new Error('503'), { retryAfterMs: 1 });
    await expect(embedBackoffStrategy(1, undefined, short, jobWith(1_000))).resolves.toBeGreaterThanOrEqual(500);
  });
});
