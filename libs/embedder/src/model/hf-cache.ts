import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The Hugging Face cache layouts we read models from. Workers never download: a model is either
 * here already (put there by `vectorizer model download`, `huggingface-cli download` or
 * transformers.js) or start-up fails.
 */

/** `HF_HOME` when set, else the standard ~/.cache/huggingface. */
export function resolveHfHome(hfHome: string | undefined): string {
  return hfHome ?? join(homedir(), '.cache', 'huggingface');
}

/** huggingface_hub's folder name for a model repo: org/name → models--org--name. */
export function repoFolderName(modelId: string): string {
  return `models--${modelId.split('/').join('--')}`;
}

export function repoCacheDir(hfHome: string, modelId: string): string {
  return join(hfHome, 'hub', repoFolderName(modelId));
}

/** Where a download writes a revision's files: `<hub>/models--org--name/snapshots/<rev>/`. */
export function snapshotDir(hfHome: string, modelId: string, revision: string): string {
  return join(repoCacheDir(hfHome, modelId), 'snapshots', revision);
}

/**
 * Finds a cached model: the huggingface_hub layout first (refs/<ref> names the snapshot; a commit
 * hash is used as-is), then transformers.js's own file cache (`<cacheDir>/<org>/<name>/`, which
 * keeps only the main revision). Returns undefined when neither holds a config.json.
 */
export function findCachedModel(opts: {
  hfHome: string;
  modelId: string;
  revision?: string;
  transformersCacheDir?: string;
}): string | undefined {
  const revision = opts.revision ?? 'main';
  const repoDir = repoCacheDir(opts.hfHome, opts.modelId);
  const refFile = join(repoDir, 'refs', revision);
  const commit = existsSync(refFile) ? readFileSync(refFile, 'utf8').trim() : revision;
  const candidates = [join(repoDir, 'snapshots', commit)];
  // A ref file may be missing when a snapshot was copied in by hand; a single snapshot is unambiguous.
  const snapshotsDir = join(repoDir, 'snapshots');
  if (!existsSync(refFile) && existsSync(snapshotsDir)) {
    const snapshots = readdirSync(snapshotsDir).filter((name) => statSync(join(snapshotsDir, name)).isDirectory());
    if (snapshots.length === 1) candidates.push(join(snapshotsDir, snapshots[0]));
  }
  if (opts.transformersCacheDir && revision === 'main') candidates.push(join(opts.transformersCacheDir, opts.modelId));
  return candidates.find((dir) => existsSync(join(dir, 'config.json')));
}

/** Default location of the generated dev model: `${HF_HOME}/vectorizer-dev/<size>`. */
export function devModelDir(hfHome: string, size: 'tiny' | 'base'): string {
  return join(hfHome, 'vectorizer-dev', size);
}
