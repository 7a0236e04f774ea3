import { VectorizerError } from '@vectorizer/errors';
import { z } from 'zod';

/**
 * Pillow resample filter codes as they appear in preprocessor_config.json. BOX (4) and HAMMING (5)
 * have no libvips equivalent, so such configs are refused instead of silently drifting.
 */
export const PIL_RESAMPLE = { NEAREST: 0, LANCZOS: 1, BILINEAR: 2, BICUBIC: 3 } as const;
export type PilResample = (typeof PIL_RESAMPLE)[keyof typeof PIL_RESAMPLE];

/** The subset of Hugging Face's SiglipImageProcessor settings that decide the pixel values. */
export interface PreprocessorConfig {
  size: { height: number; width: number };
  resample: PilResample;
  do_resize: true;
  do_rescale: boolean;
  rescale_factor: number;
  do_normalize: boolean;
  image_mean: [number, number, number];
  image_std: [number, number, number];
}

// HF accepts a single number for mean/std and applies it to every channel.
const perChannel = (positive: boolean) =>
  z
    .union([z.number(), z.array(z.number()).length(3)])
    .transform((value) => (typeof value === 'number' ? [value, value, value] : value) as [number, number, number])
    .refine((values) => values.every((v) => Number.isFinite(v) && (!positive || v > 0)), {
      message: positive ? 'every value must be a finite number > 0' : 'every value must be a finite number',
    });

const dimension = z.number().int().min(1).max(8192);

// Optional fields default to SiglipImageProcessor's own constructor defaults, exactly as
// transformers does when a config leaves them out. size, mean and std must be explicit.
const schema = z.object({
  size: z.object({ height: dimension, width: dimension }),
  resample: z
    .union([
      z.literal(PIL_RESAMPLE.NEAREST),
      z.literal(PIL_RESAMPLE.LANCZOS),
      z.literal(PIL_RESAMPLE.BILINEAR),
      z.literal(PIL_RESAMPLE.BICUBIC),
    ])
    .default(PIL_RESAMPLE.BICUBIC),
  do_resize: z
    .literal(true, { message: 'do_resize must be true: the model takes a fixed size.height x size.width input' })
    .default(true),
  do_rescale: z.boolean().default(true),
  rescale_factor: z
    .number()
    .positive()
    .default(1 / 255),
  do_normalize: z.boolean().default(true),
  image_mean: perChannel(false),
  image_std: perChannel(true),
});

export class PreprocessorConfigError extends VectorizerError {
  constructor(message: string) {
    super('PREPROCESSOR_CONFIG_INVALID', message, {
      hint: "fix the model's preprocessor_config.json (see Hugging Face SiglipImageProcessor for the fields)",
    });
  }
}

/** Validates a parsed preprocessor_config.json; the error names the first bad field. */
export function parsePreprocessorConfig(json: unknown): PreprocessorConfig {
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new PreprocessorConfigError(`preprocessor_config.json: invalid ${field}: ${issue.message}`);
  }
  return result.data;
}
