import { chmod, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DevModelError } from './dev-model-error';
import { DEV_MODEL_FORMAT_VERSION, DevModelMarker, devModelFilesIntact, readDevModelMarker } from './dev-model-marker';
import { DevModelOptions, ValidDevModelOptions, makeDevModel, validateDevModelOptions } from './make-dev-model';

/** Calls in this process for the same directory share one generation. */
const inFlight = new Map<string, Promise<string>>();

/**
 * Returns `dir` once it holds the requested dev model, generating it if needed. Cheap when the
 * model is already there (reads the marker, stats the files). Safe when several processes call it
 * at once: each builds in its own temporary directory beside `dir` and renames it into place
 * atomically; a loser finds the winner's model and discards its own. A directory that holds
 * anything else (another size or seed, or foreign files) is never touched: that is an error.
 */
export async function ensureDevModel(options: DevModelOptions): Promise<string> {
  const valid = validateDevModelOptions(options);
  const pending = inFlight.get(valid.dir);
  if (pending) return pending.then(() => ensureDevModel(options));
  const run = ensure(valid).finally(() => inFlight.delete(valid.dir));
  inFlight.set(valid.dir, run);
  return run;
}

type DirState = { kind: 'ready' } | { kind: 'absent' } | { kind: 'outdated' };

async function ensure(options: ValidDevModelOptions): Promise<string> {
  const state = await inspect(options);
  if (state.kind === 'ready') return options.dir;

  await mkdir(dirname(options.dir), { recursive: true });
  const staging = await mkdtemp(join(dirname(options.dir), `.${basename(options.dir)}.staging-`));
  try {
    // mkdtemp creates 0700; the model must stay readable to other users (containers, services).
    await chmod(staging, 0o755);
    await makeDevModel({ ...options, dir: staging });
    if (state.kind === 'outdated') await replaceOutdated(options.dir, staging);
    else await rename(staging, options.dir).catch((error: NodeJS.ErrnoException) => {
      // ENOTEMPTY/EEXIST: another process renamed its copy in first; its model is checked below.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  if ((await inspect(options)).kind !== 'ready') {
    throw new DevModelError('DEV_MODEL_WRITE_FAILED', `generated the ${options.size} dev model but ${options.dir} is still not complete`, {
      hint: `another process may be rewriting ${options.dir}; delete it and start again`,
    });
  }
  return options.dir;
}

async function inspect(options: ValidDevModelOptions): Promise<DirState> {
  const { dir, size, seed } = options;
  const marker = await readDevModelMarker(dir);
  if (!marker) {
    const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    if (entries.length === 0) return { kind: 'absent' };
    throw new DevModelError('DEV_MODEL_DIR_CONFLICT', `${dir} is not empty and holds no generated dev model (no vectorizer-dev.json)`, {
      hint: 'point the dev model at an empty or missing directory; files that are not a dev model are never overwritten',
    });
  }
  if (marker.size !== size || marker.seed !== seed) {
    throw new DevModelError('DEV_MODEL_DIR_CONFLICT', `${dir} holds the ${describe(marker)}, not the requested ${size} dev model with seed ${seed}`, {
      hint: `use another directory for this size/seed, or delete ${dir}`,
    });
  }
  if (marker.formatVersion !== DEV_MODEL_FORMAT_VERSION || !(await devModelFilesIntact(dir, marker))) return { kind: 'outdated' };
  return { kind: 'ready' };
}

/** Swaps a fresh model in for an older-format or damaged one: old → trash, fresh → dir, drop trash. */
async function replaceOutdated(dir: string, fresh: string): Promise<void> {
  const trash = `${fresh}.old`;
  await rename(dir, trash).catch((error: NodeJS.ErrnoException) => {
    // ENOENT: a concurrent caller already moved it away.
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(fresh, dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  });
  await rm(trash, { recursive: true, force: true });
}

function describe(marker: DevModelMarker): string {
  return `${marker.size} dev model with seed ${marker.seed}`;
}
