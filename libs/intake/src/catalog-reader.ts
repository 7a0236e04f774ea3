import { createReadStream, type ReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { VectorizerError } from '@vectorizer/errors';
import type { ProductInput } from '@vectorizer/store';
import { parseJsonRecord, toProduct } from './catalog-record';

export type CatalogFormat = 'jsonl' | 'csv';

/** One line of the catalog: a product, or the reason it was rejected. Lines are 1-based. */
export type CatalogEntry = { line: number; product: ProductInput } | { line: number; error: string };

export interface CatalogSource {
  entries: AsyncIterable<CatalogEntry>;
  /** Bytes read from the file so far (for progress against the file size). */
  bytesRead(): number;
}

/** .csv is CSV; .jsonl/.ndjson/.json are JSON Lines; anything else is sniffed from its first byte. */
export function detectFormat(file: string, firstByte: string | undefined): CatalogFormat {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (['.jsonl', '.ndjson', '.json'].includes(extension)) return 'jsonl';
  return firstByte === '{' ? 'jsonl' : 'csv';
}

/** A catalog file found readable, before any of it is read. */
export interface CatalogFile {
  path: string;
  format: CatalogFormat;
  /** The file's size in bytes (for progress against bytes read). */
  size: number;
}

/**
 * Opens a catalog file for `ingest`: refuses what is not a readable regular file
 * (CATALOG_UNREADABLE), takes `format` or finds it from the extension, else from the first byte.
 */
export async function openCatalogFile(file: string, format?: CatalogFormat): Promise<CatalogFile> {
  const size = await fileSize(file);
  return { path: file, format: format ?? detectFormat(file, await firstByte(file)), size };
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

/** Streams a catalog file; memory stays at one read buffer whatever its size. */
export function readCatalog(file: string, format: CatalogFormat): CatalogSource {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  return { entries: format === 'csv' ? readCsv(stream) : readJsonLines(stream), bytesRead: () => stream.bytesRead };
}

async function* readJsonLines(stream: ReadStream): AsyncIterable<CatalogEntry> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    const result = parseJsonRecord(text);
    yield result.ok ? { line, product: result.product } : { line, error: result.reason };
  }
}

async function* readCsv(stream: ReadStream): AsyncIterable<CatalogEntry> {
  // Rows csv-parse cannot read (an unclosed quote, …) are skipped by the parser and reported here.
  const skipped: CatalogEntry[] = [];
  const parser = stream.pipe(
    parse({
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      trim: true,
    }),
  );
  parser.on('skip', (error: Error & { lines?: number }) =>
    skipped.push({ line: error.lines ?? 0, error: `invalid CSV: ${error.message}` }),
  );
  let header: string[] | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield* skipped.splice(0);
    if (!header) {
      header = record.map((column) => column.toLowerCase());
      if (!header.includes('id') || !header.includes('image_url')) {
        throw new VectorizerError(
          'CATALOG_HEADER_INVALID',
          `the CSV header (line ${info.lines}) must name the columns "id" and "image_url", got: ${record.join(',')}`,
          {
            hint: 'put a header row like id,image_url,title,… first; other columns become product attributes',
          },
        );
      }
      continue;
    }
    if (record.length !== header.length) {
      yield { line: info.lines, error: `expected ${header.length} columns as in the header, got ${record.length}` };
      continue;
    }
    const fields: Record<string, unknown> = {};
    header.forEach((column, index) => (fields[column] = record[index]));
    const result = toProduct(fields);
    yield result.ok ? { line: info.lines, product: result.product } : { line: info.lines, error: result.reason };
  }
  yield* skipped.splice(0);
}
