/**
 * The project's one race against a timer. The work itself is never cancelled (sharp, a Redis
 * command or a pg query cannot be from JavaScript); the caller gets its answer on time and the
 * timer never outlives the race.
 */
export async function withDeadline<T>(
  ms: number,
  onTimeout: () => Error,
  work: Promise<T> | (() => Promise<T>),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([typeof work === 'function' ? work() : work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

class DeadlinePassed extends Error {}

/**
 * True when `work` is fulfilled within `ms`, false when the time ran out first; a rejection is
 * rethrown, so a failed close is never taken for a finished one.
 */
export async function settlesWithin(ms: number, work: Promise<unknown> | (() => Promise<unknown>)): Promise<boolean> {
  try {
    await withDeadline(ms, () => new DeadlinePassed(), work);
    return true;
  } catch (error) {
    if (error instanceof DeadlinePassed) return false;
    throw error;
  }
}
