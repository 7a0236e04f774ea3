import { createServer, type Server, type Socket } from 'node:net';
import { createLogger } from '@vectorizer/logger';
import { createEmbedQueue } from '@vectorizer/queue';
import { uniquePrefix } from '@vectorizer/testing';
import IORedis from 'ioredis';
import { MetricsCollector } from './api-metrics-collector';

/** A "Redis" that accepts connections and never answers: the worst case for a scrape. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('MetricsCollector', () => {
  it('answers within its timeout when Redis hangs, marking both sources down', async () => {
    const silent = await silentServer();
    const redis = new IORedis(`redis://127.0.0.1:${silent.port}`, { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', () => undefined);
    const queue = createEmbedQueue({
      connection: redis,
      prefix: uniquePrefix('metrics-hang'),
      retryPolicy: { attempts: 1, backoffMs: 10 },
    });
    queue.on('error', () => undefined);
    const collector = new MetricsCollector({
      redis,
      queuePrefix: uniquePrefix('metrics-hang'),
      queue,
      logger: createLogger({ level: 'silent' }),
      timeoutMs: 300,
    });
    try {
      const started = Date.now();
      const text = await collector.render();
      process.stdout.write(
        `metrics scrape with a hung Redis answered in ${Date.now() - started} ms (timeout 300 ms)\n`,
      );
      expect(text).toContain('vectorizer_metrics_source_up{source="queue",worker="api"} 0');
      expect(text).toContain('vectorizer_metrics_source_up{source="workers",worker="api"} 0');
      expect(text).not.toContain('vectorizer_queue_jobs{');
      expect(text).toMatch(/vectorizer_process_cpu_seconds_total\{worker="api"\} \d/);
    } finally {
      redis.disconnect();
      await queue.close().catch(() => undefined);
      await silent.close();
    }
  });
});
