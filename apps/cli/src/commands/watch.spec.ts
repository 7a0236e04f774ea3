import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import { connectForCommand } from '@vectorizer/queue';
import { createPool, runMigrations } from '@vectorizer/store';
import { createTestDatabase, TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';

const ROOT = join(__dirname, '../../../..');
const BIN = join(ROOT, 'bin/vectorizer.js');
const DEV_MODEL_DIR = join(ROOT, 'tmp/models/dev-tiny');

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('vectorizer watch', () => {
  it('enqueues a product inserted by plain SQL and stops cleanly on SIGTERM', async () => {
    await ensureDevModel({ dir: DEV_MODEL_DIR, size: 'tiny' });
    const db = await createTestDatabase('cli_watch');
    const prefix = uniquePrefix('cli-watch');
    const pool = createPool(db.url, { max: 1 });
    const connection = await connectForCommand(TEST_REDIS_URL);
    try {
      await runMigrations(pool, {});
      const child = spawn(process.execPath, [BIN, 'watch'], {
        env: {
          ...process.env,
          LOG_FORMAT: 'json',
          DATABASE_URL: db.url,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: prefix,
          MODEL_DIR: DEV_MODEL_DIR,
        },
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await until(() => stderr.includes('intake listener: leader'), 'the watch leads');
      await pool.query("INSERT INTO products (id, image_url) VALUES ('sql-1', 'https://img.example/1.jpg')");
      await until(async () => (await connection.llen(`${prefix}:embed:wait`)) === 1, 'the job');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('intake listener stopped');
    } finally {
      const keys = await connection.keys(`${prefix}:*`);
      if (keys.length > 0) await connection.del(...keys);
      await connection.quit();
      await pool.end();
      await db.drop();
    }
  });
});
