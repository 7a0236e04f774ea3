import { VectorizerError } from '@vectorizer/errors';
import { MAX_K, SearchFilterInvalidError, parseAttributeFilter, type AttributeFilter } from '@vectorizer/store';
import { LINKS_PER_PRODUCT } from './duplicate-links';

/** A search request that cannot be answered as asked (a bad parameter, a missing upload); the message names it. */
export class SearchInputError extends VectorizerError {
  constructor(message: string, hint: string) {
    super('SEARCH_INPUT_INVALID', message, { hint });
  }
}

/** Results when k is absent (fewer where the ceiling is lower). */
export const DEFAULT_K = 10;

/** Long enough for any real query; SigLIP truncates to its context length anyway. */
export const MAX_QUERY_LENGTH = 1_000;

/** The last value of a query-string parameter given more than once, as text. */
function lastText(raw: unknown): string {
  return Array.isArray(raw) ? String(raw[raw.length - 1]) : raw === undefined ? '' : String(raw);
}

/** `name` with a value, as the caller types it: `-k 5` on the command line, `k=5` in a URL. */
function example(name: string, value: string): string {
  return `${name}${name.startsWith('-') ? ' ' : '='}${value}`;
}

/** How many results: absent → DEFAULT_K (or `maxK` if lower); otherwise a whole number from 1 to `maxK`. */
function readK(raw: unknown, maxK: number, name: string): number {
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

/**
 * The rules every caller's raw search parameters are read by (URL query, multipart fields,
 * command-line options), bound to the configured ceiling on k (SEARCH_MAX_K, at most the store's
 * MAX_K). `name` is how the caller spells a parameter (`k` in a URL, `-k` on the command line), so
 * its errors name what the user typed.
 */
export class SearchInput {
  readonly maxK: number;

  constructor(maxK: number) {
    // A larger SEARCH_MAX_K would pass here and fail in the store: refuse such a k as bad input instead.
    this.maxK = Math.min(maxK, MAX_K);
  }

  /** How many results: absent → 10, else 1..maxK. */
  k(raw: unknown, name = 'k'): number {
    return readK(raw, this.maxK, name);
  }

  /** How many stored links per product a duplicates answer reads: absent → 10, else 1..LINKS_PER_PRODUCT. */
  linkK(raw: unknown, name = 'k'): number {
    return readK(raw, LINKS_PER_PRODUCT, name);
  }

  /** The duplicates threshold: absent or `auto` → chosen from the catalog; else a cosine similarity in (0, 1]. */
  threshold(raw: unknown, name = 'threshold'): number | 'auto' {
    const text = lastText(raw).trim();
    if (text === '' || text === 'auto') return 'auto';
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0 || value > 1) {
      throw new SearchInputError(
        `${name} must be a cosine similarity in (0, 1] or auto, got ${JSON.stringify(text)}`,
        `Leave it out (or pass auto) to choose it from the catalog, or pass e.g. ${example(name, '0.97')} (higher: only closer duplicates).`,
      );
    }
    return value;
  }

  /** The text of a text search: trimmed, not empty, at most MAX_QUERY_LENGTH characters. */
  text(raw: unknown, name = 'q'): string {
    const text = typeof raw === 'string' || Array.isArray(raw) ? lastText(raw).trim() : '';
    if (text === '') {
      throw new SearchInputError(
        `${name} is required: the text to search for`,
        `Pass the words to search for, e.g. ${name.startsWith('-') ? `${name} "red running shoes"` : `/api/search/text?${name}=red+running+shoes`}.`,
      );
    }
    if (text.length > MAX_QUERY_LENGTH) {
      throw new SearchInputError(
        `${name} is ${text.length} characters long; at most ${MAX_QUERY_LENGTH} are accepted`,
        'Shorten the query.',
      );
    }
    return text;
  }

  /** A filter given as JSON text (a command-line option). */
  filter(text: string | undefined, name = 'filter'): AttributeFilter | undefined {
    return parseAttributeFilter(text, name);
  }

  /**
   * The attribute filter among a request's query parameters or multipart fields: `filter`, JSON text
   * of an object, e.g. filter={"category":"shoes"}. Absent or `{}` → no filter; anything malformed →
   * SEARCH_FILTER_INVALID, including the bracket form filter[category]=shoes, which would otherwise
   * be ignored silently and search the whole catalog.
   */
  filterParams(params: Record<string, unknown> | undefined): AttributeFilter | undefined {
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
}
