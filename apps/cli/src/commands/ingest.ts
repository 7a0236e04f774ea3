import { createWriteStream, type WriteStream } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { IngestSummary, MalformedLine } from '@vectorizer/intake';
import type { Logger } from '@vectorizer/logger';
import { openCatalogFile, withCatalog, type CatalogFormat } from '@vectorizer/runtime';
import { runCommand } from '../context';
import { createIngestProgress } from './ingest-progress';

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
    .action((path: string, opts: IngestCommandOptions) =>
      runCommand('ingest', async ({ logger, runtime }) => {
        const file = await openCatalogFile(path, opts.format);
        return withCatalog(runtime, opts.model, async (catalog, model) => {
          const rejects = opts.rejects ? createWriteStream(opts.rejects) : undefined;
          const progress = createIngestProgress({
            totalBytes: file.size,
            isTTY: process.stderr.isTTY === true,
            logger,
          });
          let summary: IngestSummary;
          try {
            summary = await catalog.ingestFile(file, {
              model,
              chunkSize: opts.chunkSize,
              onProgress: (counts, bytesRead) => progress.update(counts, bytesRead),
              onMalformed: malformedReporter(logger, rejects, opts.rejects),
            });
          } finally {
            progress.stop();
            await new Promise<void>((resolve) => (rejects ? rejects.end(resolve) : resolve()));
          }
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(jsonSummary(path, model, summary))}\n`
              : describeSummary(summary, opts.rejects),
          );
          return opts.strict && summary.malformed > 0 ? EXIT_MALFORMED_LINES : 0;
        });
      }),
    );
}

/** The published JSON keeps its field names: `products` are the valid lines intake accepted. */
function jsonSummary(file: string, model: string, summary: IngestSummary) {
  const { lines, accepted, changed, enqueued, alreadyQueued, deferred, malformed } = summary;
  return { file, model, lines, products: accepted, changed, enqueued, alreadyQueued, deferred, malformed };
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
    `ingested ${summary.accepted} products from ${summary.lines} lines (${summary.changed} new or changed), ` +
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
