import { SearchInputError } from '@vectorizer/search';
import { SearchFilterInvalidError, parseAttributeFilter, type AttributeFilter } from '@vectorizer/store';

/** Long enough for any real query; SigLIP truncates to its context length anyway. */
export const MAX_QUERY_LENGTH = 1_000;

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
export function parseFilter(params: Record<string, unknown> | undefined): AttributeFilter | undefined {
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
