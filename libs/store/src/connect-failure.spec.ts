import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { meaningOf } from '@vectorizer/errors';
import { TEST_DATABASE_URL } from '@vectorizer/testing';
import { PostgresConnectError, probePostgres } from './connect-failure';

/**
 * A server speaking just enough of the PostgreSQL protocol to refuse a login the way a real one
 * does with password authentication (the shared test server trusts 127.0.0.1, so it never asks).
 */
async function startRefusingServer(
  sqlstate: string,
  message: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      // ErrorResponse: type 'E', length, then code-tagged fields, each NUL-terminated, and a final NUL.
      const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlstate}\0M${message}\0\0`, 'utf8');
      const header = Buffer.alloc(5);
      header.write('E', 0);
      header.writeInt32BE(fields.length + 4, 1);
      socket.end(Buffer.concat([header, fields]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `postgres://app:hunter2-secret@127.0.0.1:${port}/catalog`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts TCP and never answers: a black-holed server. */
async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/catalog`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function failure(url: string, timeoutMs = 2_000): Promise<PostgresConnectError> {
  const error = await probePostgres(url, { timeoutMs }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PostgresConnectError);
  return error as PostgresConnectError;
}

function withDatabase(name: string, user = 'postgres', password?: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  url.username = user;
  if (password) url.password = password;
  return url.toString();
}

describe('probePostgres classifies a failed connection', () => {
  it('passes on a server that answers', async () => {
    await expect(probePostgres(TEST_DATABASE_URL)).resolves.toBeUndefined();
  });

  it('a refused port: unavailable (restart with backoff)', async () => {
    const server = await startSilentServer();
    const url = server.url;
    await server.close();
    const error = await failure(url);
    expect(error.code).toBe('POSTGRES_UNAVAILABLE');
    expect(error.failure).toBe('connection refused');
    expect(error.message).toContain(url);
    expect(error.hint).toContain('DATABASE_URL');
    expect(meaningOf(error.code).exit).toBe(1);
  });

  it('a database that does not exist: named as such, exit 78', async () => {
    const error = await failure(withDatabase('vectorizer_no_such_db'));
    expect(error).toMatchObject({ code: 'POSTGRES_DATABASE_MISSING', failure: 'database does not exist' });
    expect(error.message).toContain('database "vectorizer_no_such_db" does not exist');
    expect(error.hint).toContain('createdb');
    expect(meaningOf(error.code).exit).toBe(78);
  });

  it('a role the server does not know (real server, SQLSTATE 28000): authentication failed, exit 78, no password', async () => {
    const error = await failure(withDatabase('postgres', 'vectorizer_no_such_role', 'role-secret'));
    expect(error).toMatchObject({ code: 'POSTGRES_AUTH_FAILED', failure: 'authentication failed' });
    expect(error.message).toContain('vectorizer_no_such_role:***@');
    expect(error.message).not.toContain('role-secret');
    expect(meaningOf(error.code).exit).toBe(78);
  });

  it('a wrong password (SQLSTATE 28P01 from a protocol-level server): authentication failed, exit 78', async () => {
    const server = await startRefusingServer('28P01', 'password authentication failed for user "app"');
    try {
      const error = await failure(server.url);
      expect(error).toMatchObject({ code: 'POSTGRES_AUTH_FAILED', failure: 'authentication failed' });
      expect(error.message).toContain('password authentication failed for user "app"');
      expect(error.message).not.toContain('hunter2-secret');
    } finally {
      await server.close();
    }
  });

  it('a server that accepts and never answers: timed out, unavailable', async () => {
    const server = await startSilentServer();
    try {
      const error = await failure(server.url, 300);
      expect(error).toMatchObject({ code: 'POSTGRES_UNAVAILABLE', failure: 'timed out' });
    } finally {
      await server.close();
    }
  });
});
