import { createWriteStream, type WriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { VectorizerError } from '@vectorizer/errors';
import type { Logger } from '@vectorizer/logger';
import { checkSchema, ProductsRepository } from '@vectorizer/store';
import { runCommand } from '../context';
import {
  DEFAULT_INGEST_CHUNK_SIZE,
  INGEST_CHUNKS_IN_FLIGHT,
  detectFormat,
  ingestCatalog,
  readCatalog,
  type CatalogFormat,
  type IngestSummary,
  type MalformedLine,
} from '@vectorizer/intake';
import { createIngestProgress, type IngestProgress } from './ingest-progress';

/** Exit code when --strict and some lines were rejected (the valid ones are ingested regardless). */
export const EXIT_MALFORMED_LINES = 2;
/** Rejected lines logged one by one; the rest are counted (and all go to --rejects). */
const MALFORMED_LOG_LIMIT = 100;

interface IngestCommandOptions {
  model?: string;
  format?: CatalogFormat;
  /** Unset: the intake default (read when the command runs, so `--help` loads no library). */
  chunkSize?: number;
  rejects?: string;
  strict?: boolean;
  json?: boolean;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .argument('<file>', 'catalog: JSON Lines ({"id","image_url","title",…} per line) or CSV with a header row')
    .description(
      'Load a catalog into Postgres and enqueue an embedding job for every product whose embedding is missing or stale.',
    )
    .option('--model <id>', 'model id to check embeddings against (default: the configured model)')
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension, else sniffed)').choices([
        'jsonl',
        'csv',
      ]),
    )
    .option('--chunk-size <n>', 'products per database/queue round trip (default 1000)', positiveInt)
    .option('--rejects <file>', 'write every rejected line (line number and reason) to this JSONL file')
    .option('--strict', `exit ${EXIT_MALFORMED_LINES} when any line was rejected (valid lines are still ingested)`)
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      "\nFields other than id, image_url and title are stored in the product's attributes.\n" +
        'Malformed lines (bad JSON, missing id or image_url, a bad URL) are skipped, reported with their line\n' +
        `number and counted in the summary; the exit code stays 0 unless --strict is given (then ${EXIT_MALFORMED_LINES}).`,
    )
    .action((file: string, opts: IngestCommandOptions) =>
      runCommand('ingest', async ({ config, logger, runtime }) => {
        const size = await fileSize(file);
        const format = opts.format ?? detectFormat(file, await firstByte(file));
        const model = await runtime.modelId(opts.model);
        const pool = await runtime.openDatabase({ max: INGEST_CHUNKS_IN_FLIGHT + 1 });
        const queues = await runtime.openQueues().catch(async (error: unknown) => {
          await pool.end();
          throw error;
        });
        const rejects = opts.rejects ? createWriteStream(opts.rejects) : undefined;
        let progress: IngestProgress | undefined;
        try {
          await checkSchema(pool);
          const source = readCatalog(file, format);
          progress = createIngestProgress({
            totalBytes: size,
            bytesRead: source.bytesRead,
            isTTY: process.stderr.isTTY === true,
            logger,
          });
          const summary = await ingestCatalog({
            entries: source.entries,
            products: new ProductsRepository(pool),
            queue: { queue: queues.queue, connection: queues.connection },
            queueWindow: config.QUEUE_WINDOW,
            model,
            logger,
            chunkSize: opts.chunkSize ?? DEFAULT_INGEST_CHUNK_SIZE,
            onProgress: (s) => progress?.update(s),
            onMalformed: malformedReporter(logger, rejects, opts.rejects),
          });
          progress.stop();
          progress = undefined;
          process.stdout.write(
            opts.json ? `${JSON.stringify({ file, model, ...summary })}\n` : describeSummary(summary, opts.rejects),
          );
          return opts.strict && summary.malformed > 0 ? EXIT_MALFORMED_LINES : 0;
        } finally {
          progress?.stop();
          await new Promise<void>((resolve) => (rejects ? rejects.end(resolve) : resolve()));
          await queues.close();
          await pool.end();
        }
      }),
    );
}

/** Logs the first rejected lines one by one (then only counts them) and writes all to --rejects. */
function malformedReporter(
  logger: Logger,
  rejects: WriteStream | undefined,
  rejectsPath: string | undefined,
): (malformed: MalformedLine) => void {
  let logged = 0;
  return (malformed) => {
    rejects?.write(`${JSON.stringify(malformed)}\n`);
    logged += 1;
    if (logged <= MALFORMED_LOG_LIMIT)
      logger.warn({ line: malformed.line }, `line ${malformed.line} skipped: ${malformed.error}`);
    else if (logged === MALFORMED_LOG_LIMIT + 1) {
      logger.warn(
        `more than ${MALFORMED_LOG_LIMIT} malformed lines; counting the rest${rejectsPath ? ` (all in ${rejectsPath})` : ''}`,
      );
    }
  };
}

function describeSummary(summary: IngestSummary, rejectsPath: string | undefined): string {
  return (
    `ingested ${summary.products} products from ${summary.lines} lines (${summary.changed} new or changed), ` +
    `enqueued ${summary.enqueued} (${summary.alreadyQueued} already queued), ${summary.malformed} malformed line(s) skipped` +
    (summary.deferred > 0
      ? `; ${summary.deferred} left pending in Postgres beyond the queue window (QUEUE_WINDOW), enqueued by \`vectorizer watch\` or \`worker\` as the queue drains`
      : '') +
    `${summary.malformed > 0 && !rejectsPath ? ' — rerun with --rejects FILE to list them all' : ''}\n`
  );
}

function positiveInt(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1) throw new InvalidArgumentError('expected a positive whole number');
  return number;
}

async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    return info.size;
  } catch (error) {
    throw new VectorizerError('CATALOG_UNREADABLE', `cannot read the catalog file ${file}`, {
      hint: 'check the path and its permissions',
      cause: error,
    });
  }
}

async function firstByte(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').trimStart()[0];
  } finally {
    await handle.close();
  }
}
