import { VectorizerError } from '@vectorizer/errors';
import { SearchFilterInvalidError, parseAttributeFilter, type AttributeFilter } from '@vectorizer/store';
import { LINKS_PER_PRODUCT } from './duplicate-links';

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

/** Long enough for any real query; SigLIP truncates to its context length anyway. */
export const MAX_QUERY_LENGTH = 1_000;

/** The text of a text search (`q`): trimmed, not empty, at most MAX_QUERY_LENGTH characters. */
export function parseTextQuery(raw: unknown): string {
  const q = typeof raw === 'string' ? raw.trim() : Array.isArray(raw) ? String(raw[raw.length - 1]).trim() : '';
  if (q === '')
    throw new SearchInputError('q is required: the text to search for', 'Call /api/search/text?q=red+running+shoes');
  if (q.length > MAX_QUERY_LENGTH) {
    throw new SearchInputError(
      `q is ${q.length} characters long; at most ${MAX_QUERY_LENGTH} are accepted`,
      'Shorten the query.',
    );
  }
  return q;
}

/**
 * The attribute filter from a request's query parameters or multipart fields: `filter`, JSON text of
 * an object, e.g. filter={"category":"shoes"}. Absent or `{}` → no filter; anything malformed →
 * SEARCH_FILTER_INVALID, including the bracket form filter[category]=shoes, which would otherwise
 * be ignored silently and search the whole catalog.
 */
export function parseFilterParams(params: Record<string, unknown> | undefined): AttributeFilter | undefined {
  const bracketed = Object.keys(params ?? {}).find((key) => key.startsWith('filter['));
  if (bracketed !== undefined) {
    throw new SearchFilterInvalidError(
      `${bracketed} is not supported: pass filter as JSON text, e.g. filter={"category":"shoes"} (URL-encoded)`,
    );
  }
  const raw = params?.filter;
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (typeof text !== 'string') {
    throw new SearchFilterInvalidError('filter must be JSON text, e.g. filter={"category":"shoes"} (URL-encoded)');
  }
  return parseAttributeFilter(text);
}

/**
 * The rules every caller's raw search parameters are read by (URL query, multipart fields,
 * command-line options), bound to the configured ceiling on k (SEARCH_MAX_K). `name` is how the
 * caller spells a parameter, so its errors name what the user typed.
 */
export class SearchInput {
  constructor(readonly maxK: number) {}

  /** How many results: absent → 10, else 1..maxK. */
  k(raw: unknown, name = 'k'): number {
    return parseK(raw, this.maxK, name);
  }

  /** How many stored links per product a duplicates answer reads: absent → 10, else 1..LINKS_PER_PRODUCT. */
  linkK(raw: unknown, name = 'k'): number {
    return parseK(raw, LINKS_PER_PRODUCT, name);
  }

  threshold(raw: unknown, name = 'threshold'): number | 'auto' {
    return parseThreshold(raw, name);
  }

  text(raw: unknown): string {
    return parseTextQuery(raw);
  }

  /** A filter given as JSON text (a command-line option). */
  filter(text: string | undefined, name = 'filter'): AttributeFilter | undefined {
    return parseAttributeFilter(text, name);
  }

  /** A filter among a request's parameters (`filter=`; the bracket form is refused). */
  filterParams(params: Record<string, unknown> | undefined): AttributeFilter | undefined {
    return parseFilterParams(params);
  }
}
