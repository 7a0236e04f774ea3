import { TEST_DATABASE_URL } from '@vectorizer/testing';
import { createPool } from './pool';

describe('createPool', () => {
  // A broken idle connection emits 'error' on the pool; without a listener it would crash the process.
  it('always listens for errors of idle connections', async () => {
    const pool = createPool(TEST_DATABASE_URL, { max: 1 });
    try {
      expect(pool.listenerCount('error')).toBe(1);
      expect(() => pool.emit('error', new Error('connection terminated unexpectedly'))).not.toThrow();
    } finally {
      await pool.end();
    }
  });
});

describe('createPool statement timeout', () => {
  it('bounds every statement by statementTimeoutMs', async () => {
    const pool = createPool(TEST_DATABASE_URL, { max: 1, statementTimeoutMs: 200 });
    try {
      const shown = await pool.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(shown.rows[0]?.statement_timeout).toBe('200ms');
      await expect(pool.query('SELECT pg_sleep(0.5)')).rejects.toThrow(/statement timeout/);
    } finally {
      await pool.end();
    }
  });

  it('sets no bound when statementTimeoutMs is 0 (schema work on a large catalog)', async () => {
    const pool = createPool(TEST_DATABASE_URL, { max: 1, statementTimeoutMs: 0 });
    try {
      const shown = await pool.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(shown.rows[0]?.statement_timeout).toBe('0');
      await expect(pool.query('SELECT pg_sleep(1.2)')).resolves.toBeDefined();
    } finally {
      await pool.end();
    }
  });
});
