import type { Command } from 'commander';
import { startIntakeWatcher } from '@vectorizer/runtime';
import { runCommand } from '../context';

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description(
      'Enqueue products that any loader (plain SQL included) inserts or re-points in Postgres: the LISTEN/NOTIFY ' +
        'listener (one leader per cluster) and the reconcile loop that tops the queue window up. `worker` runs it too.',
    )
    .option('--model <id>', 'model id (default: the configured model)')
    .action((opts: { model?: string }) =>
      runCommand('watch', async ({ runtime }) => {
        const model = await runtime.modelId(opts.model);
        const watch = await startIntakeWatcher(runtime, model);
        await new Promise<void>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        await watch.stop();
      }),
    );
}
