import { TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';
import { connectForCommand } from './connection';
import { runScript, type RedisScript } from './redis-script';
import { watchScriptCommands } from './test-support/script-monitor';

describe('runScript (real Redis)', () => {
  it('sends the script text at most once per connection, then only its SHA (EVALSHA)', async () => {
    const key = `${uniquePrefix('script')}:counter`;
    // A unique script text, so no other test's EVAL can have cached it.
    const script: RedisScript = {
      name: 'vectorizerTestIncrBy',
      lua: `-- ${key}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`,
    };
    const monitor = await watchScriptCommands(key);
    const connection = await connectForCommand(TEST_REDIS_URL);
    try {
      for (let i = 0; i < 3; i += 1) await runScript(connection, script, [key], ['2']);
      expect(await connection.get(key)).toBe('6');
      const counts = await monitor.counts();
      // The first EVALSHA may meet NOSCRIPT (not logged), then ioredis sends the text once.
      expect(counts.evalsha).toBeGreaterThanOrEqual(2);
      expect(counts.eval).toBeLessThanOrEqual(1);
    } finally {
      await connection.del(key);
      await connection.quit();
      monitor.stop();
    }
  });
});
