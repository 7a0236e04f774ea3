import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import { DEV_TINY_MODEL_DIR } from '@vectorizer/testing';
import { DEV_MODEL_MARKER_FILE } from '@vectorizer/images';

/** The repo's shared tiny dev model (tmp/ is gitignored); generated once, reused by every test file. */
export const TINY_MODEL_DIR = DEV_TINY_MODEL_DIR;

export function ensureTinyModel(): Promise<string> {
  return ensureDevModel({ dir: TINY_MODEL_DIR, size: 'tiny' });
}

/**
 * A private copy a test may damage; `cleanup` removes it. The dev-model marker is dropped, so the
 * copy stands for an ordinary model export (no dev-model special-casing).
 */
export async function copyTinyModel(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  await ensureTinyModel();
  const root = await mkdtemp(join(tmpdir(), 'embedder-model-'));
  const dir = join(root, 'model');
  await cp(TINY_MODEL_DIR, dir, { recursive: true });
  await rm(join(dir, DEV_MODEL_MARKER_FILE));
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}
