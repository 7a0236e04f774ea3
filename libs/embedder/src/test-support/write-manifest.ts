import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File, storeManifest, type ManifestEntry, type ModelManifest } from '../model/manifest';

/** Records `files` (paths relative to `dir`) as they are now, as `vectorizer model download` would have. */
export async function writeManifest(
  dir: string,
  meta: { modelId: string; revision?: string; dtype?: ModelManifest['dtype'] },
  files: string[],
): Promise<ModelManifest> {
  const entries: ManifestEntry[] = [];
  for (const path of files) {
    const file = join(dir, path);
    const [info, sha256] = await Promise.all([stat(file), sha256File(file)]);
    entries.push({ path, size: info.size, sha256 });
  }
  return storeManifest(dir, { ...meta, createdAt: new Date().toISOString(), files: entries });
}
