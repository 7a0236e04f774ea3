import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidJobPayloadError } from './errors';

export const jobPayloadSchema = z.object({
  productId: z.string().min(1),
  imageUrl: z.string().min(1),
  model: z.string().min(1),
  enqueuedAt: z.iso.datetime(),
});

/** The data of one `embed` job: which image of which product to embed with which model. */
export type JobPayload = z.infer<typeof jobPayloadSchema>;

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
  // Length-prefixed fields, so ("a\nb", "c") and ("a", "b\nc") can never collide.
  const key = [productId, imageUrl, model].map((field) => `${field.length}:${field}`).join('|');
  return createHash('sha256').update(key).digest('hex');
}
