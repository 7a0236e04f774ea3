import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { EmbedderError } from '../errors';
import { MANIFEST_FILE } from './model-files';

/**
 * `vectorizer-manifest.json`, written next to the files by `vectorizer model download` (and by the
 * dev-model generator's callers): what a complete model directory holds, so a start-up can tell a
 * partial download or a flipped byte from a good model before ORT sees it.
 */
const manifestSchema = z.object({
  modelId: z.string().min(1),
  revision: z.string().min(1).optional(),
  dtype: z.enum(['fp32', 'fp16', 'q8']).optional(),
  createdAt: z.string(),
  files: z
    .array(
      z.object({ path: z.string().min(1), size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    )
    .min(1),
});

export type ModelManifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = ModelManifest['files'][number];

export function manifestPath(dir: string): string {
  return join(dir, MANIFEST_FILE);
}

export async function readManifest(dir: string): Promise<ModelManifest | undefined> {
  const file = manifestPath(dir);
  if (!existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new EmbedderError('MODEL_MANIFEST_INVALID', `${file} is not valid JSON`, {
      hint: `Delete ${file} and re-run the download.`,
      cause: error,
    });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EmbedderError(
      'MODEL_MANIFEST_INVALID',
      `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      {
        hint: `Delete ${file} and re-run the download.`,
      },
    );
  }
  return parsed.data;
}

/** Streams the file, so hashing a 1.6 GB model neither blocks the event loop nor holds it in memory. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Writes a manifest whose entries the caller already measured (a download hashes while it streams). */
export async function storeManifest(dir: string, manifest: ModelManifest): Promise<ModelManifest> {
  const file = manifestPath(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, file);
  return manifest;
}
