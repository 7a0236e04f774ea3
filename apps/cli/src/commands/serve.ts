import type { Command } from 'commander';
import { spawnApiProcess } from '@vectorizer/runtime';
import { runCommand } from '../context';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Start the HTTP API: search page at /, search endpoints under /api, queue dashboard at /admin/queues, ' +
        '/healthz, /readyz and /metrics (HOST, PORT; dashboard credentials required, see DASHBOARD_*).',
    )
    .action(() =>
      runCommand('serve', async ({ config, logger }) => {
        logger.debug({ host: config.HOST, port: config.PORT }, 'starting the API process');
        const child = spawnApiProcess({ stdio: 'inherit', env: process.env });
        // Ctrl-C reaches both processes through the terminal; a SIGTERM sent to this one (a
        // container stop) is passed on so the API closes its connections before exiting.
        const forward = (signal: NodeJS.Signals) => child.kill(signal);
        process.on('SIGTERM', forward);
        process.on('SIGINT', forward);
        const code = await new Promise<number>((resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
        });
        process.off('SIGTERM', forward);
        process.off('SIGINT', forward);
        return code;
      }),
    );
}
