import { z } from 'zod';
import { InvalidJobPayloadError } from './errors';
import { jobPayloadSchema } from './job-payload';

export const deadLetterEntrySchema = z.object({
  /** The id the job had in the main queue; also the entry's id in the dead-letter queue. */
  jobId: z.string().min(1),
  payload: jobPayloadSchema,
  /** Stable error code, e.g. FETCH_HTTP_404 or IMAGE_CORRUPT. */
  code: z.string().min(1),
  reason: z.string(),
  attemptsMade: z.number().int().min(0),
  failedAt: z.iso.datetime(),
  firstEnqueuedAt: z.iso.datetime(),
});

/** Why one job was given up on, with everything needed to retry it. */
export type DeadLetterEntry = z.infer<typeof deadLetterEntrySchema>;

export function parseDeadLetterEntry(data: unknown): DeadLetterEntry {
  const result = deadLetterEntrySchema.safeParse(data);
  if (!result.success) {
    const details = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new InvalidJobPayloadError(`dead-letter entry: ${details}`, result.error);
  }
  return result.data;
}
