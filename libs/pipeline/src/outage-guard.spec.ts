import { createLogger } from '@vectorizer/logger';
import { OutageGuard, type OutageGuardOptions } from './outage-guard';

function fakeConsumer() {
  const calls: string[] = [];
  return {
    calls,
    pause: async (doNotWaitActive?: boolean) => void calls.push(`pause(${String(doNotWaitActive)})`),
    resume: async () => void calls.push('resume'),
  };
}

const logger = createLogger({ level: 'silent' });

/** A guard that probes every millisecond or two: a test waits for its recovery, not for its backoff. */
function quickGuard(
  consumer: ReturnType<typeof fakeConsumer>,
  probes: OutageGuardOptions['probes'],
  onPausedChange: (paused: boolean) => void,
) {
  return new OutageGuard({
    consumer,
    logger,
    initialProbeIntervalMs: 1,
    maxProbeIntervalMs: 2,
    probes,
    onPausedChange,
  });
}

describe('OutageGuard', () => {
  it('pauses once, probes until the dependency answers, then resumes', async () => {
    const consumer = fakeConsumer();
    let failuresLeft = 3;
    let probes = 0;
    const resumed = new Promise<void>((resolve) => {
      const guard = quickGuard(
        consumer,
        {
          postgres: async () => {
            probes += 1;
            if (failuresLeft-- > 0) throw new Error('connect ECONNREFUSED');
          },
          redis: async () => undefined,
        },
        (paused) => {
          if (!paused) resolve();
        },
      );
      guard.report('postgres', new Error('down'));
      guard.report('postgres', new Error('still down'));
      expect(guard.paused).toBe(true);
    });
    await resumed;
    expect(consumer.calls).toEqual(['pause(true)', 'resume']);
    expect(probes).toBe(4);
  });

  it('waits for every failed dependency before resuming', async () => {
    const consumer = fakeConsumer();
    let redisUp = false;
    const states: boolean[] = [];
    const guard = quickGuard(
      consumer,
      {
        postgres: async () => undefined,
        redis: async () => {
          if (!redisUp) throw new Error('Connection is closed.');
        },
      },
      (paused) => states.push(paused),
    );
    guard.report('postgres', new Error('down'));
    guard.report('redis', new Error('down'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(consumer.calls).toEqual(['pause(true)']);
    redisUp = true;
    while (guard.paused || !consumer.calls.includes('resume')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(states).toEqual([true, false]);
  });

  it('stops probing on close without resuming', async () => {
    const consumer = fakeConsumer();
    const guard = new OutageGuard({
      consumer,
      logger,
      initialProbeIntervalMs: 60_000,
      probes: { postgres: async () => undefined, redis: async () => undefined },
    });
    guard.report('postgres', new Error('down'));
    await guard.close();
    expect(consumer.calls).toEqual(['pause(true)']);
  });
});
