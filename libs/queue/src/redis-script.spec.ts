import IORedis from 'ioredis';
import { TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';
import { connectForCommand } from './connection';
import { runScript, type RedisScript } from './redis-script';

describe('runScript (real Redis)', () => {
  it('sends the script text at most once per connection, then only its SHA (EVALSHA)', async () => {
    const key = `${uniquePrefix('script')}:counter`;
    // A unique script text, so no other test's EVAL can have cached it.
    const script: RedisScript = {
      name: 'vectorizerTestIncrBy',
      lua: `-- ${key}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`,
    };
    const monitor = new IORedis(TEST_REDIS_URL);
    const seen: string[][] = [];
    const watching = await monitor.monitor();
    watching.on('monitor', (_time: string, args: string[]) => {
      if (args.includes(key)) seen.push(args);
    });
    const connection = await connectForCommand(TEST_REDIS_URL);
    try {
      for (let i = 0; i < 3; i += 1) await runScript(connection, script, [key], ['2']);
      expect(await connection.get(key)).toBe('6');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const commands = seen.map((args) => args[0].toLowerCase());
      // The first EVALSHA may meet NOSCRIPT (not logged), then ioredis sends the text once.
      expect(commands.filter((command) => command === 'evalsha').length).toBeGreaterThanOrEqual(2);
      expect(commands.filter((command) => command === 'eval').length).toBeLessThanOrEqual(1);
    } finally {
      await connection.del(key);
      await connection.quit();
      watching.disconnect();
      monitor.disconnect();
    }
  });
});
