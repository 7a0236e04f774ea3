import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidJobPayloadError } from './errors';

/**
 * The data of every `embed` job. docs/job-payload.schema.json is this schema as JSON Schema
 * (jobPayloadJsonSchema; a test fails when they differ), for producers in other languages.
 * Unknown fields are ignored by the worker.
 */
export const jobPayloadSchema = z
  .object({
    productId: z.string().min(1).describe('products.id of the product to embed.'),
    imageUrl: z
      .string()
      .min(1)
      .describe('products.image_url as it is in Postgres: the worker stores the vector only while it still matches.'),
    model: z
      .string()
      .min(1)
      .describe('Id of the model to embed with; a worker running another model dead-letters the job.'),
    // Offsets are accepted so producers in other languages need not force a "Z" (Python's isoformat gives +00:00).
    enqueuedAt: z.iso
      .datetime({ offset: true })
      .describe('When the job was enqueued, ISO 8601 (UTC "Z" or an offset).'),
  })
  .meta({
    title: 'vectorizer embed job payload',
    description: 'The data of one job named "embed" on the BullMQ queue "embed" (see docs/job-contract.md).',
  });

/** The data of one `embed` job: which image of which product to embed with which model. */
export type JobPayload = z.infer<typeof jobPayloadSchema>;

/**
 * The payload schema as JSON Schema (draft 2020-12), as producers must write it: the input side of
 * jobPayloadSchema, so fields the worker would ignore are not forbidden.
 */
export function jobPayloadJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(jobPayloadSchema, { io: 'input' }) as Record<string, unknown>;
}

/** Validates job data read back from Redis or handed in by a caller; throws InvalidJobPayloadError. */
export function parseJobPayload(data: unknown): JobPayload {
  const result = jobPayloadSchema.safeParse(data);
  if (!result.success) {
    const details = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new InvalidJobPayloadError(details, result.error);
  }
  return result.data;
}

/**
 * The job id of (product, image, model). Deterministic, so BullMQ ignores a second add while the
 * first job still exists; derived from all three, so a new image or a new model is a new job.
 * Hex only: BullMQ rejects ids containing ':' (and purely numeric ones).
 */
export function jobIdFor(productId: string, imageUrl: string, model: string): string {
  // Length-prefixed fields, so ("a\nb", "c") and ("a", "b\nc") can never collide. The length is in
  // UTF-16 code units (JavaScript's .length), the hash over UTF-8: docs/job-contract.md spells it out for other languages.
  const key = [productId, imageUrl, model].map((field) => `${field.length}:${field}`).join('|');
  return createHash('sha256').update(key).digest('hex');
}
