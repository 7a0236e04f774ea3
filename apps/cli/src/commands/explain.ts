import type { Command } from 'commander';
import type { ProductExplanation } from '@vectorizer/health';
import { withCatalog } from '@vectorizer/runtime';
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
      runCommand('explain', ({ runtime }) =>
        withCatalog(runtime, opts.model, async (catalog, model) => {
          const explanation = await catalog.explain(productId, model);
          process.stdout.write(opts.json ? `${JSON.stringify(explanation)}\n` : formatExplanation(explanation));
        }),
      ),
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
