import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones, as a stopped server would. */
  down(): Promise<void>;
  /**
   * Keeps accepting TCP but never answers: open connections stop forwarding, new ones are held
   * without reaching the server (a hung host, a black-holed route).
   */
  stall(): Promise<void>;
  /** Forwards again on the same port (connections held while stalled are dropped). */
  up(): Promise<void>;
  close(): Promise<void>;
}

type Mode = 'forward' | 'stall';

/**
 * Forwards a local port to a real server, so a test can take "the database" away from one pool
 * (refused, or accepting and silent) without touching the PostgreSQL other tests share.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let mode: Mode = 'forward';

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const onClient = (client: Socket) => {
    track(client);
    if (mode === 'stall') {
      // Read and drop whatever the client sends; answer nothing.
      client.on('data', () => undefined);
      client.on('error', () => undefined);
      return;
    }
    const upstream = createConnection(target);
    track(upstream);
    for (const socket of [client, upstream]) {
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer(onClient);
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        port = (next.address() as AddressInfo).port;
        server = next;
        resolve();
      });
    });
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  const down = async () => {
    const current = server;
    server = undefined;
    dropAll();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  const stall = async () => {
    mode = 'stall';
    for (const socket of sockets) {
      socket.unpipe();
      socket.removeAllListeners('data');
      socket.on('data', () => undefined);
    }
    if (!server) await listen();
  };
  const up = async () => {
    if (mode === 'stall') dropAll();
    mode = 'forward';
    if (!server) await listen();
  };

  await listen();
  return { port, down, stall, up, close: down };
}
