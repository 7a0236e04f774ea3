import { setTimeout as sleep } from 'node:timers/promises';
import IORedis from 'ioredis';
import { TEST_REDIS_URL } from '@vectorizer/testing';

/**
 * Records the script commands Redis receives whose arguments mention `fragment` (MONITOR), so a
 * test can tell EVALSHA (the script's SHA only) from EVAL (its whole text).
 */
export async function watchScriptCommands(
  fragment: string,
): Promise<{ counts(): Promise<{ eval: number; evalsha: number }>; stop(): void }> {
  const monitor = new IORedis(TEST_REDIS_URL);
  const seen: string[] = [];
  const watching = await monitor.monitor();
  watching.on('monitor', (_time: string, args: string[]) => {
    if (args.some((arg) => arg.includes(fragment))) seen.push(String(args[0]).toLowerCase());
  });
  return {
    async counts() {
      // MONITOR lines arrive after the replies.
      await sleep(100);
      return {
        eval: seen.filter((command) => command === 'eval').length,
        evalsha: seen.filter((command) => command === 'evalsha').length,
      };
    },
    stop() {
      watching.disconnect();
      monitor.disconnect();
    },
  };
}
