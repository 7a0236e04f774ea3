import type { ProductInput } from '@vectorizer/store';

/** Columns with a meaning of their own; every other field goes into `attributes`. */
const KNOWN_FIELDS = new Set(['id', 'image_url', 'title']);
const IMAGE_URL_PROTOCOLS = new Set(['http:', 'https:', 'file:']);

export type RecordResult = { ok: true; product: ProductInput } | { ok: false; reason: string };

/**
 * Turns one catalog record (a parsed JSON line, or a CSV row keyed by its header) into a product,
 * or says exactly what is wrong with it. Numeric ids are accepted and stored as text.
 */
export function toProduct(fields: Record<string, unknown>): RecordResult {
  const id = typeof fields.id === 'number' && Number.isFinite(fields.id) ? String(fields.id) : fields.id;
  if (typeof id !== 'string' || id.trim() === '') return { ok: false, reason: 'missing "id"' };
  const imageUrl = fields.image_url;
  if (typeof imageUrl !== 'string' || imageUrl.trim() === '')
    return { ok: false, reason: `product ${id}: missing "image_url"` };
  const urlProblem = checkImageUrl(imageUrl.trim());
  if (urlProblem) return { ok: false, reason: `product ${id}: ${urlProblem}` };
  const title = fields.title;
  if (title !== undefined && title !== null && typeof title !== 'string')
    return { ok: false, reason: `product ${id}: "title" must be a string` };

  let attributes: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(fields)) {
    if (KNOWN_FIELDS.has(key)) continue;
    attributes ??= {};
    // An "attributes" object (the HTTP shape {id, image_url, title, attributes}) is the attributes
    // themselves, not one attribute named "attributes"; anything else under that name stays as given.
    if (key === 'attributes' && isPlainObject(value)) Object.assign(attributes, value);
    else attributes[key] = value;
  }
  return {
    ok: true,
    product: { id, imageUrl: imageUrl.trim(), title: title === '' ? null : (title ?? null), attributes },
  };
}

/**
 * One JSON text (a JSONL line, an NDJSON body line) as a product, or what is wrong with it:
 * invalid JSON, not an object, or a record toProduct rejects.
 */
export function parseJsonRecord(text: string): RecordResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
  }
  return toProductFromValue(value);
}

/** Any parsed JSON value as a product: a record must be an object. */
export function toProductFromValue(value: unknown): RecordResult {
  if (!isPlainObject(value)) return { ok: false, reason: 'expected a JSON object' };
  return toProduct(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkImageUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"image_url" is not a URL: ${JSON.stringify(value.slice(0, 200))}`;
  }
  if (!IMAGE_URL_PROTOCOLS.has(url.protocol)) return `"image_url" must be http(s) or file, got ${url.protocol}`;
  return undefined;
}
