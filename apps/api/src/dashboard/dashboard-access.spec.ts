import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@vectorizer/testing';
import pg from 'pg';
import { type DashboardSettings, isLoopbackHost, resolveDashboardAccess } from './dashboard-access';

const base: DashboardSettings = { HOST: '127.0.0.1', DASHBOARD_READ_ONLY: false, DASHBOARD_DEV_MODE: false };
const repoRoot = join(__dirname, '..', '..', '..', '..');
const cli = join(repoRoot, 'bin', 'vectorizer.js');

/** The environment of a server start: no inherited DASHBOARD_* from the developer's shell. */
function serveEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_FORMAT: 'json',
    PORT: '0',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  };
  return { ...env, ...extra };
}

describe('resolveDashboardAccess', () => {
  it('accepts basic credentials, a token, or both', () => {
    expect(resolveDashboardAccess({ ...base, DASHBOARD_USER: 'u', DASHBOARD_PASSWORD: 'p' })).toMatchObject({
      basic: { user: 'u', password: 'p' },
      open: false,
    });
    expect(resolveDashboardAccess({ ...base, DASHBOARD_TOKEN: 't', DASHBOARD_READ_ONLY: true })).toMatchObject({
      token: 't',
      open: false,
      readOnly: true,
    });
  });

  it('refuses no credentials, naming the variables', () => {
    expect(() => resolveDashboardAccess(base)).toThrow(
      expect.objectContaining({ code: 'DASHBOARD_CREDENTIALS_REQUIRED' }),
    );
    try {
      resolveDashboardAccess(base);
    } catch (error) {
      const { hint } = error as { hint: string };
      for (const variable of ['DASHBOARD_USER', 'DASHBOARD_PASSWORD', 'DASHBOARD_TOKEN', 'DASHBOARD_DEV_MODE'])
        expect(hint).toContain(variable);
    }
  });

  it('refuses a user without a password', () => {
    expect(() => resolveDashboardAccess({ ...base, DASHBOARD_USER: 'u' })).toThrow(
      'DASHBOARD_USER is set without DASHBOARD_PASSWORD',
    );
  });

  it('allows dev mode only on a loopback host', () => {
    expect(resolveDashboardAccess({ ...base, DASHBOARD_DEV_MODE: true })).toMatchObject({ open: true });
    expect(() => resolveDashboardAccess({ ...base, HOST: '0.0.0.0', DASHBOARD_DEV_MODE: true })).toThrow(
      /not a loopback address/,
    );
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.0.1', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['example.com', false],
  ])('isLoopbackHost(%s) is %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('vectorizer serve', () => {
  // Its own database: serve migrates at start, and the shared test database's public schema must stay empty.
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('serve_start');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('refuses to start without dashboard credentials and says which variables to set', () => {
    const result = spawnSync(process.execPath, [cli, 'serve'], {
      env: serveEnv({}),
      encoding: 'utf8',
      timeout: 30_000,
    });
    // 78: a settings error no restart fixes (the registry's exit code for DASHBOARD_CREDENTIALS_REQUIRED).
    expect(result.status).toBe(78);
    const fatal = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(fatal).toMatchObject({ level: 'fatal', code: 'DASHBOARD_CREDENTIALS_REQUIRED' });
    expect(fatal.hint).toContain('DASHBOARD_USER');
    expect(fatal.hint).toContain('DASHBOARD_TOKEN');
  });

  it('refuses dev mode on a public host', () => {
    const result = spawnSync(process.execPath, [cli, 'serve'], {
      env: serveEnv({ DASHBOARD_DEV_MODE: 'true', HOST: '0.0.0.0' }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    expect(result.stdout).toContain('HOST=0.0.0.0 (not a loopback address)');
  });

  it('starts with a token, migrates the database, answers /healthz, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, 'serve'], {
      env: serveEnv({ DASHBOARD_TOKEN: 'tok', DATABASE_URL: database.url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "API listening" line in:\n${output}`)), 30_000);
        child.stdout.on('data', () => {
          const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect((await fetch(`${url}/admin/queues`)).status).toBe(401);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const seed = await client.query('SELECT COUNT(*) FROM product_embeddings WHERE embedding_visual IS NOT NULL');
      await client.end();
      expect(seed.rows[0].count).toBe('0');
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
