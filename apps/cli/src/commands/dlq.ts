import type { Command } from 'commander';
import { VectorizerError } from '@vectorizer/errors';
import type { DeadLetters } from '@vectorizer/queue';
import type { Runtime } from '@vectorizer/runtime';
import { runCommand } from '../context';

const PAGE_SIZE = 500;

/** Runs `work` on the embed queue's dead letters, on a connection closed afterwards. */
async function withDeadLetters<T>(runtime: Runtime, work: (deadLetters: DeadLetters) => Promise<T>): Promise<T> {
  const queues = await runtime.openQueues();
  try {
    return await work(queues.deadLetters);
  } finally {
    await queues.close();
  }
}

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description(
      "Inspect, retry and purge dead-lettered embedding jobs (the embed queue's failed jobs, also in Bull Board's failed tab).",
    );

  dlq
    .command('list')
    .description('List dead jobs, oldest first, each with its error code and the fix.')
    .option('--json', 'one JSON object per dead job per line')
    .action((opts: { json?: boolean }) =>
      runCommand('dlq', ({ runtime }) =>
        withDeadLetters(runtime, async (deadLetters) => {
          let shown = 0;
          for (let offset = 0; ; offset += PAGE_SIZE) {
            const entries = await deadLetters.list({ offset, limit: PAGE_SIZE });
            for (const entry of entries) {
              const row = {
                jobId: entry.jobId,
                productId: entry.payload?.productId,
                imageUrl: entry.payload?.imageUrl,
                code: entry.code,
                reason: entry.reason,
                hint: entry.hint,
                attemptsMade: entry.attemptsMade,
                createdAt: entry.createdAt,
                failedAt: entry.failedAt,
              };
              process.stdout.write(opts.json ? `${JSON.stringify(row)}\n` : formatDeadLetter(row));
              shown += 1;
            }
            if (entries.length < PAGE_SIZE) break;
          }
          if (!opts.json && shown === 0) process.stdout.write('no dead letters\n');
        }),
      ),
    );

  dlq
    .command('retry')
    .description('Put dead jobs back on the embed queue with a fresh attempt budget.')
    .argument('[jobIds...]', 'job ids from `dlq list`')
    .option('--all', 'retry every dead job')
    .action((jobIds: string[], opts: { all?: boolean }) =>
      runCommand('dlq', async ({ runtime, logger }) => {
        if (!opts.all && jobIds.length === 0) {
          throw new VectorizerError('DLQ_SELECTION_MISSING', 'say which dead jobs to retry', {
            hint: 'pass job ids from `vectorizer dlq list`, or --all',
          });
        }
        const result = await withDeadLetters(runtime, (deadLetters) => deadLetters.retry(opts.all ? 'all' : jobIds));
        for (const id of result.notFound) logger.warn({ jobId: id }, `no dead job with id ${id}`);
        process.stdout.write(
          `retried ${result.retried} dead job(s)${result.notFound.length > 0 ? `; ${result.notFound.length} not found` : ''}\n`,
        );
        return result.notFound.length > 0 ? 1 : 0;
      }),
    );

  dlq
    .command('purge')
    .description('Delete every dead job (their products stay missing until enqueued again).')
    .action(() =>
      runCommand('dlq', async ({ runtime }) => {
        const purged = await withDeadLetters(runtime, (deadLetters) => deadLetters.purge());
        process.stdout.write(`purged ${purged} dead job(s)\n`);
      }),
    );
}

interface DeadLetterRow {
  jobId: string;
  productId?: string;
  imageUrl?: string;
  code: string;
  reason: string;
  hint?: string;
  attemptsMade: number;
  failedAt?: string;
}

/** Two lines per dead job: what failed and why, then what to do about it. */
export function formatDeadLetter(row: DeadLetterRow): string {
  const product = row.productId === undefined ? '(invalid payload)' : `product ${row.productId}  ${row.imageUrl}`;
  const head = `${row.failedAt ?? '-'}  ${row.code}  ${product}  (${row.attemptsMade} attempts): ${row.reason}  [${row.jobId}]\n`;
  return row.hint === undefined ? head : `${head}    fix: ${row.hint}\n`;
}
