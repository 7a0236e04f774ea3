import { SingleBar, Presets } from 'cli-progress';
import type { Logger } from '@vectorizer/logger';
import type { IngestSummary } from '@vectorizer/intake';

export interface IngestProgress {
  /** After every chunk, with the file's bytes read so far. */
  update(summary: Readonly<IngestSummary>, bytesRead: number): void;
  stop(): void;
}

/**
 * A progress bar over the file's bytes on a terminal; a log line every `intervalMs` otherwise
 * (CI logs and log shippers want lines, not carriage returns).
 */
export function createIngestProgress(options: {
  totalBytes: number;
  isTTY: boolean;
  logger: Logger;
  intervalMs?: number;
}): IngestProgress {
  const started = Date.now();
  if (options.isTTY) {
    const bar = new SingleBar(
      {
        format:
          'ingest [{bar}] {percentage}% | {lines} lines | {enqueued} enqueued | {malformed} malformed | {rate} lines/s',
        hideCursor: true,
        stream: process.stderr,
      },
      Presets.shades_classic,
    );
    bar.start(Math.max(1, options.totalBytes), 0, { lines: 0, enqueued: 0, malformed: 0, rate: 0 });
    return {
      update: (summary, bytesRead) =>
        bar.update(bytesRead, {
          lines: summary.lines,
          enqueued: summary.enqueued,
          malformed: summary.malformed,
          rate: rate(summary.lines, started),
        }),
      stop: () => bar.stop(),
    };
  }
  const intervalMs = options.intervalMs ?? 10_000;
  let lastLog = started;
  return {
    update: (summary, bytesRead) => {
      if (Date.now() - lastLog < intervalMs) return;
      lastLog = Date.now();
      const percent = Math.round((100 * bytesRead) / Math.max(1, options.totalBytes));
      options.logger.info({ ...summary, percent, linesPerSecond: rate(summary.lines, started) }, `ingest ${percent}%`);
    },
    stop: () => undefined,
  };
}

function rate(lines: number, started: number): number {
  return Math.round(lines / Math.max(0.001, (Date.now() - started) / 1000));
}
