import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@vectorizer/config';
import { VectorizerError } from '@vectorizer/errors';
import type { Logger } from '@vectorizer/logger';
import { Runtime, openApiServices, type RunningApiServices } from '@vectorizer/runtime';
import { createApp } from './app';
import { resolveDashboardAccess } from './dashboard/dashboard-access';

export interface RunningApi {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export class ApiListenError extends VectorizerError {
  constructor(host: string, port: number, cause: unknown) {
    const inUse = (cause as { code?: string }).code === 'EADDRINUSE';
    super('API_LISTEN_FAILED', `Cannot listen on ${host}:${port}${inUse ? ': the port is in use' : ''}`, {
      hint: inUse ? 'Stop the other process on that port or set PORT to a free one.' : 'Check HOST and PORT.',
      cause,
    });
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: unknown) => reject(new ApiListenError(host, port, error));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Starts the API from the configuration: checks the dashboard credentials before anything else
 * (refusing to start without them), connects Redis and Postgres lazily-tolerant (the server comes
 * up while they are down and /readyz says so), and starts the model on the first search.
 */
export async function startApiServer(config: Config, logger: Logger): Promise<RunningApi> {
  const dashboard = resolveDashboardAccess(config);
  if (dashboard.open)
    logger.warn('DASHBOARD_DEV_MODE=true: the queue dashboard is served without credentials (loopback only)');

  const runtime = new Runtime(config, logger);
  // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; products POSTed here start their traces in this process.
  const tracing = runtime.startTracing('vectorizer-api');
  let services: RunningApiServices;
  try {
    services = await openApiServices(runtime);
  } catch (error) {
    await tracing?.shutdown().catch(() => undefined);
    throw error;
  }
  const app = createApp({
    ...services,
    dashboard,
    maxConcurrentUploads: config.SEARCH_MAX_CONCURRENT_UPLOADS,
    logger,
  });
  const server = createServer(app);
  const close = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await services.close();
    await tracing?.shutdown();
  };
  try {
    await listen(server, config.HOST, config.PORT);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, dashboard: `${url}/admin/queues`, readOnly: dashboard.readOnly }, `API listening on ${url}`);
  return { url, server, close };
}
