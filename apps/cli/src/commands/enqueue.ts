import { Option, type Command } from 'commander';
import { VectorizerError } from '@vectorizer/errors';
import { backfill, QueueWindow } from '@vectorizer/intake';
import { checkSchema, ProductsRepository } from '@vectorizer/store';
import { runCommand } from '../context';

interface EnqueueCommandOptions {
  missing?: boolean;
  all?: boolean;
  ids?: string[];
  model?: string;
  json?: boolean;
}

export function registerEnqueue(program: Command): void {
  program
    .command('enqueue')
    .description(
      'Backfill embedding jobs from Postgres (the source of truth): products missing an embedding, all products, or some ' +
        'ids, within the queue window (QUEUE_WINDOW): --missing leaves what does not fit pending in Postgres for the ' +
        'reconcile loop; --all and --ids wait for room as the workers drain the queue.',
    )
    .addOption(
      new Option('--missing', 'products whose embedding for the model is missing or stale').conflicts(['all', 'ids']),
    )
    .addOption(new Option('--all', 'every product (re-embed everything, e.g. after a model change)').conflicts(['ids']))
    .addOption(
      new Option('--ids <ids>', 'comma-separated product ids (re-embedded even when up to date)').argParser(parseIds),
    )
    .option('--model <id>', 'model id (default: the configured model)')
    .option('--json', 'print the result as JSON')
    .action((opts: EnqueueCommandOptions) =>
      runCommand('enqueue', async ({ config, logger, runtime }) => {
        if (!opts.missing && !opts.all && !opts.ids) {
          throw new VectorizerError('ENQUEUE_SELECTION_MISSING', 'say which products to enqueue', {
            hint: 'pass --missing, --all or --ids ID,…',
          });
        }
        const model = await runtime.modelId(opts.model);
        const pool = await runtime.openDatabase({ max: 1 });
        try {
          const queues = await runtime.openQueues();
          try {
            await checkSchema(pool);
            const products = new ProductsRepository(pool);
            const window = new QueueWindow(
              { queue: queues.queue, connection: queues.connection },
              config.QUEUE_WINDOW,
              products,
            );
            // --ids re-embeds the named products whatever their state, like --all does for every product.
            const reembed = !opts.missing;
            let lastNotice = 0;
            const total = await backfill(products.streamNeedingEmbedding(model, { all: reembed, ids: opts.ids }), {
              window,
              model,
              reembed,
              onWaiting: ({ added, pending }) => {
                if (Date.now() - lastNotice < 30_000) return;
                lastNotice = Date.now();
                logger.info(
                  { added, pending, queueWindow: config.QUEUE_WINDOW },
                  `queue window full (QUEUE_WINDOW=${config.QUEUE_WINDOW}): waiting for workers to drain it; ${added} enqueued so far`,
                );
              },
            });
            const notFound = opts.ids ? opts.ids.length - total.selected : 0;
            process.stdout.write(
              opts.json
                ? `${JSON.stringify({ model, ...total, ...(opts.ids ? { notFound } : {}) })}\n`
                : `enqueued ${total.added} of ${total.selected} selected product(s) for ${model}; ${total.skipped} already had a pending job or were up to date` +
                    `${total.deferred > 0 ? `; ${total.deferred} left pending in Postgres (queue window full): the reconcile loop of \`vectorizer watch\` or a worker enqueues them as the queue drains` : ''}` +
                    `${notFound > 0 ? `; ${notFound} id(s) not found` : ''}\n`,
            );
          } finally {
            await queues.close();
          }
        } finally {
          await pool.end();
        }
      }),
    );
}

function parseIds(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
  ];
}
