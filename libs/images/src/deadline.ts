/**
 * Rejects with `onTimeout()` when `work` has not settled within `ms`. The work itself keeps running
 * (sharp cannot be cancelled from JavaScript; its own `.timeout()` stops libvips shortly after),
 * but the caller gets its answer on time.
 */
export async function withDeadline<T>(ms: number, onTimeout: () => Error, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
