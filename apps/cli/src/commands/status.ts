import type { Command } from 'commander';
import { withCatalog, type CatalogStatus } from '@vectorizer/runtime';
import { runCommand } from '../context';

export interface StatusReport extends CatalogStatus {
  model: string;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Products, embeddings of the current model, queue counts and dead letters.')
    .option('--model <id>', 'model id (default: the configured model)')
    .option('--json', 'print one JSON object')
    .action((opts: { model?: string; json?: boolean }) =>
      runCommand('status', ({ runtime }) =>
        withCatalog(runtime, opts.model, async (catalog, model) => {
          const report: StatusReport = { model, ...(await catalog.status(model)) };
          process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatStatus(report));
        }),
      ),
    );
}

export function formatStatus(report: StatusReport): string {
  const rows: [string, number | string][] = [
    ['model', report.model],
    ['products', report.products],
    ['embedded', report.embedded],
    ['  of which reused (identical image)', report.reused],
    ['missing', report.missing],
    ['pending in Postgres (not yet queued)', report.pendingInPostgres],
    ['queue waiting (in Redis)', report.queue.waiting],
    ['queue active', report.queue.active],
    ['queue delayed (retrying)', report.queue.delayed],
    ['queue completed (kept)', report.queue.completed],
    ['dead letters (failed)', report.deadLetter],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}
