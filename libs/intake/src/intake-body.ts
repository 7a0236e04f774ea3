import { parseJsonRecord, toProductFromValue, type RecordResult } from './catalog-record';
import { IntakeBodyInvalidError, IntakeMediaTypeError } from './errors';

/** `json`: one array of products; `ndjson`: one product per line. */
export type IntakeBodyFormat = 'json' | 'ndjson';

/** One item of a body: its index (array position, or 0-based line in NDJSON) and the product or what is wrong with it. */
export interface IntakeItem {
  index: number;
  result: RecordResult;
}

const MEDIA_TYPES: Record<string, IntakeBodyFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
};

/** The body format a Content-Type header names (parameters such as charset are ignored). */
export function intakeBodyFormat(contentType: string | undefined): IntakeBodyFormat {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  const format = mediaType === undefined ? undefined : MEDIA_TYPES[mediaType];
  if (format === undefined) throw new IntakeMediaTypeError(contentType);
  return format;
}

/**
 * Reads a body of products, validating each item exactly as `ingest` validates a catalog line
 * (catalog-record.ts). A bad item is returned with its reason; only a body that is not UTF-8, or
 * (JSON) not an array at all, throws IntakeBodyInvalidError.
 */
export function parseIntakeBody(body: Uint8Array, format: IntakeBodyFormat): IntakeItem[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new IntakeBodyInvalidError('The body is not valid UTF-8');
  }
  return format === 'json' ? parseJsonArray(text) : parseNdjson(text);
}

function parseJsonArray(text: string): IntakeItem[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new IntakeBodyInvalidError(`The body is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) {
    throw new IntakeBodyInvalidError(
      `Expected a JSON array of products, got ${value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value}`,
    );
  }
  return value.map((item: unknown, index) => ({ index, result: toProductFromValue(item) }));
}

function parseNdjson(text: string): IntakeItem[] {
  const items: IntakeItem[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() !== '') items.push({ index, result: parseJsonRecord(line) });
  });
  return items;
}
