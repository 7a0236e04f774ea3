import { Option, type Command } from 'commander';
import { VectorizerError } from '@vectorizer/errors';
import { withCatalog, type EnqueueSelection } from '@vectorizer/runtime';
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
        // --ids re-embeds the named products whatever their state, like --all does for every product.
        const selection: EnqueueSelection = opts.ids ? { ids: opts.ids } : opts.all ? { all: true } : { missing: true };
        await withCatalog(runtime, opts.model, async (catalog, model) => {
          let lastNotice = 0;
          const total = await catalog.enqueue(selection, model, ({ enqueued, pending }) => {
            if (Date.now() - lastNotice < 30_000) return;
            lastNotice = Date.now();
            logger.info(
              { enqueued, pending, queueWindow: config.QUEUE_WINDOW },
              `queue window full (QUEUE_WINDOW=${config.QUEUE_WINDOW}): waiting for workers to drain it; ${enqueued} enqueued so far`,
            );
          });
          const notFound = opts.ids ? opts.ids.length - total.accepted : 0;
          // The published JSON keeps its field names: `selected` products, `added` jobs, `skipped` ones.
          const counts = {
            selected: total.accepted,
            added: total.enqueued,
            skipped: total.alreadyQueued,
            deferred: total.deferred,
          };
          process.stdout.write(
            opts.json
              ? `${JSON.stringify({ model, ...counts, ...(opts.ids ? { notFound } : {}) })}\n`
              : `enqueued ${counts.added} of ${counts.selected} selected product(s) for ${model}; ${counts.skipped} already had a pending job or were up to date` +
                  `${counts.deferred > 0 ? `; ${counts.deferred} left pending in Postgres (queue window full): the reconcile loop of \`vectorizer watch\` or a worker enqueues them as the queue drains` : ''}` +
                  `${notFound > 0 ? `; ${notFound} id(s) not found` : ''}\n`,
          );
        });
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
