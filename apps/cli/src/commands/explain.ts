import type { Command } from 'commander';
import { explainProduct, type ProductExplanation } from '@vectorizer/health';
import { checkSchema } from '@vectorizer/store';
import { runCommand } from '../context';

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description(
      'Why a product is or is not embedded: up-to-date, queued, processing, retrying, dead-lettered, pending or superseded, with what to do.',
    )
    .argument('<productId>', 'products.id')
    .option('--model <id>', 'model id (default: the configured model)')
    .option('--json', 'print the JSON object GET /api/products/:id/status answers')
    .action((productId: string, opts: { model?: string; json?: boolean }) =>
      runCommand('explain', async ({ runtime }) => {
        const queues = await runtime.openQueues();
        try {
          const pool = await runtime.openDatabase({ max: 2 });
          try {
            await checkSchema(pool);
            const model = await runtime.modelId(opts.model);
            const explanation = await explainProduct({ pool, queue: queues.queue }, productId, model);
            process.stdout.write(opts.json ? `${JSON.stringify(explanation)}\n` : formatExplanation(explanation));
          } finally {
            await pool.end();
          }
        } finally {
          await queues.close();
        }
      }),
    );
}

/** The sentence first, then the facts it rests on, one per line. */
export function formatExplanation(explanation: ProductExplanation): string {
  const lines = [`product ${explanation.productId} (model ${explanation.model}): ${explanation.message}`];
  const { job, embedding } = explanation;
  if (job) {
    const parts = [`job ${job.id}`, job.state, `attempts made ${job.attemptsMade}`];
    if (job.code) parts.push(`last error ${job.code}`);
    if (job.nextRunAt) parts.push(`next run ${job.nextRunAt}`);
    lines.push(`  ${parts.join('  ')}`);
  }
  if (embedding) {
    lines.push(
      `  vector embedded ${embedding.embeddedAt} from ${embedding.imageUrl}${embedding.reused ? ' (reused)' : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
