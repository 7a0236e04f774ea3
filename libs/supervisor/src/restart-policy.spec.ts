import { RestartPolicy } from './restart-policy';

const policy = () =>
  new RestartPolicy({ initialDelayMs: 100, maxDelayMs: 1_000, stableAfterMs: 10_000, maxCannotWorkExits: 3 });

describe('RestartPolicy', () => {
  it('doubles the delay per consecutive crash up to the maximum', () => {
    const p = policy();
    const delays = Array.from({ length: 6 }, () => p.afterExit(1, 50)).map((d) =>
      d.action === 'restart' ? d.delayMs : -1,
    );
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('starts over after the child ran stable', () => {
    const p = policy();
    p.afterExit(1, 50);
    p.afterExit(1, 50);
    expect(p.afterExit(null, 20_000)).toEqual({ action: 'restart', delayMs: 100, attempt: 1 });
  });

  it('gives up after repeated exit 78, with backoff in between', () => {
    const p = policy();
    expect(p.afterExit(78, 50)).toMatchObject({ action: 'restart', delayMs: 100 });
    expect(p.afterExit(78, 50)).toMatchObject({ action: 'restart', delayMs: 200 });
    const last = p.afterExit(78, 50);
    expect(last.action).toBe('give-up');
    expect(last.action === 'give-up' && last.reason).toContain('78');
  });
});
