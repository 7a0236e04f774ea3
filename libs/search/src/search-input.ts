import { VectorizerError } from '@vectorizer/errors';

/** A search request that cannot be answered as asked; the message names the parameter. */
export class SearchInputError extends VectorizerError {
  constructor(message: string, hint: string) {
    super('SEARCH_INPUT_INVALID', message, { hint });
  }
}

export const DEFAULT_K = 10;

/** The last value of a query-string parameter given more than once, as text. */
function lastText(raw: unknown): string {
  return Array.isArray(raw) ? String(raw[raw.length - 1]) : raw === undefined ? '' : String(raw);
}

/**
 * How many results: absent → 10; otherwise a whole number from 1 to `maxK`. `name` is how the
 * caller spells the parameter (`k` in a URL, `-k` on the command line).
 */
export function parseK(raw: unknown, maxK: number, name = 'k'): number {
  const text = lastText(raw);
  if (text === '') return Math.min(DEFAULT_K, maxK);
  const k = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(k) || k < 1 || k > maxK) {
    throw new SearchInputError(
      `${name} must be a whole number from 1 to ${maxK}, got ${JSON.stringify(text)}`,
      `Pass ${name} between 1 and ${maxK}.`,
    );
  }
  return k;
}

/** The duplicates threshold: absent or `auto` → chosen from the catalog; else a cosine similarity in (0, 1]. */
export function parseThreshold(raw: unknown, name = 'threshold'): number | 'auto' {
  const text = lastText(raw).trim();
  if (text === '' || text === 'auto') return 'auto';
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    const example = `${name}${name.startsWith('-') ? ' ' : '='}0.97`;
    throw new SearchInputError(
      `${name} must be a cosine similarity in (0, 1] or auto, got ${JSON.stringify(text)}`,
      `Leave it out (or pass auto) to choose it from the catalog, or pass e.g. ${example} (higher: only closer duplicates).`,
    );
  }
  return value;
}
