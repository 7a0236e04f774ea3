import { VectorizerError } from '@vectorizer/errors';

/** A value an attribute filter compares with: only scalars, so containment is plain equality. */
export type AttributeValue = string | number | boolean;

/**
 * Equality on top-level keys of products.attributes: a product matches when, for every key, its
 * attributes hold exactly that value (`attributes @> filter`). Several keys must all match.
 */
export type AttributeFilter = Readonly<Record<string, AttributeValue>>;

/** A search filter that is not a JSON object of top-level keys to scalar values. */
export class SearchFilterInvalidError extends VectorizerError {
  constructor(message: string) {
    super('SEARCH_FILTER_INVALID', message, {
      hint: 'Pass a JSON object of attribute keys to string, number or boolean values, e.g. {"category":"shoes"}.',
    });
  }
}

/**
 * Parses a filter as the API and the CLI receive it (JSON text). Returns undefined for "no filter"
 * (absent, blank or `{}`). Refused: text that is not JSON, JSON that is not an object, an empty key,
 * and a value that is null, an array or an object — with jsonb containment those would mean "is
 * null" or "contains", not equality, so they are refused rather than silently meaning something else.
 */
export function parseAttributeFilter(text: string | undefined, source = 'filter'): AttributeFilter | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SearchFilterInvalidError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    throw new SearchFilterInvalidError(`${source} must be a JSON object like {"category":"shoes"}, got ${kind}`);
  }
  const filter: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === '') throw new SearchFilterInvalidError(`${source} has an empty key`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
      throw new SearchFilterInvalidError(
        `${source}.${key} is ${kind}; only string, number or boolean values are supported (equality on top-level keys)`,
      );
    }
    filter[key] = value;
  }
  return Object.keys(filter).length === 0 ? undefined : filter;
}

/** The filter as the kNN query's jsonb parameter; null means no filter. */
export const attributeFilterParam = (filter: AttributeFilter | undefined): string | null =>
  filter === undefined || Object.keys(filter).length === 0 ? null : JSON.stringify(filter);
