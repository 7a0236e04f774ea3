import { EXIT_CLEAN, EXIT_RESTART } from '@vectorizer/errors';
import { openWorkerProcess, type Runtime } from '@vectorizer/runtime';

/**
 * Opens the worker's services (main.ts has checked both dependencies), hands the graceful stop to
 * `takeOverStop` right before the first job can be taken, then takes jobs. Resolves with the exit
 * code once the worker has shut down.
 *
 * `takeOverStop` receives the graceful stop: the caller routes SIGTERM/SIGINT to it from then on.
 */
export async function runWorkerProcess(
  runtime: Runtime,
  takeOverStop: (stop: (reason: string) => void) => void = () => undefined,
): Promise<number> {
  const { config } = runtime;
  const worker = await openWorkerProcess(runtime, {
    onBroken: () => void shutdown(EXIT_RESTART, 'the embedder stopped working'),
  });
  const { identity, logger: log } = worker;

  let finish: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let shuttingDown = false;

  /**
   * Stops within WORKER_SHUTDOWN_TIMEOUT_MS whatever state Redis and Postgres are in; the exit code
   * says whether jobs had to be abandoned to keep the deadline.
   */
  async function shutdown(code: number, reason: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    const timeoutMs = config.WORKER_SHUTDOWN_TIMEOUT_MS;
    log.info({ reason, timeoutMs }, 'stopping: finishing the jobs in hand, taking no new ones');
    const outcome = await worker.stop(timeoutMs);
    if (outcome === 'jobs-timed-out') {
      log.error({ timeoutMs }, 'jobs did not finish in time; exiting, they return to the queue as stalled');
      finish(EXIT_RESTART);
      return;
    }
    if (outcome === 'connections-abandoned')
      log.warn({ timeoutMs }, 'connections did not close in time (a dependency is down); exiting anyway');
    else log.info('worker stopped');
    finish(code);
  }

  takeOverStop((reason) => void shutdown(EXIT_CLEAN, reason));
  // An orphan would hold its device and jobs unsupervised; a restarted supervisor starts a new one.
  process.once('disconnect', () => void shutdown(EXIT_CLEAN, 'the supervisor went away'));
  await worker.start();
  const { workerId, model, dimension, provider, batchSize, concurrency } = identity;
  log.info(
    { model, dimension, provider, batchSize, concurrency, prefix: config.QUEUE_PREFIX },
    `worker ${workerId} taking jobs: batch ${batchSize}, concurrency ${concurrency}`,
  );
  return exited;
}
