import type { Command } from 'commander';
import { pendingInPostgres } from '@vectorizer/intake';
import { getQueueStats } from '@vectorizer/queue';
import { checkSchema, EmbeddingsRepository, ProductsRepository } from '@vectorizer/store';
import { runCommand } from '../context';

export interface StatusReport {
  model: string;
  products: number;
  embedded: number;
  /** Of `embedded`, products whose vector was copied from identical image bytes instead of inferred. */
  reused: number;
  missing: number;
  /** Missing embeddings the queue does not hold: left in Postgres by the queue window (an estimate). */
  pendingInPostgres: number;
  queue: { waiting: number; active: number; delayed: number; failed: number; completed: number };
  /** The embed queue's failed jobs: the same number as queue.failed, `dlq list` and the metrics. */
  deadLetter: number;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Products, embeddings of the current model, queue counts and dead letters.')
    .option('--model <id>', 'model id (default: the configured model)')
    .option('--json', 'print one JSON object')
    .action((opts: { model?: string; json?: boolean }) =>
      runCommand('status', async ({ runtime }) => {
        // Services first: an unreachable Redis or Postgres should fail before any model work.
        const queues = await runtime.openQueues();
        try {
          const pool = await runtime.openDatabase({ max: 3 });
          try {
            await checkSchema(pool);
            const model = await runtime.modelId(opts.model);
            const embeddings = new EmbeddingsRepository(pool);
            const [products, embedded, reused, missing, queue, deadLetter] = await Promise.all([
              new ProductsRepository(pool).count(),
              embeddings.countEmbedded(model),
              embeddings.countReused(model),
              embeddings.countMissing(model),
              getQueueStats(queues.queue),
              queues.deadLetters.count(),
            ]);
            const report: StatusReport = {
              model,
              products,
              embedded,
              reused,
              missing,
              pendingInPostgres: pendingInPostgres(missing, queue),
              queue,
              deadLetter,
            };
            process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatStatus(report));
          } finally {
            await pool.end();
          }
        } finally {
          await queues.close();
        }
      }),
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
