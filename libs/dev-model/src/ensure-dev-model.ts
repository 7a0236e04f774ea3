import { readdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DevModelError } from './dev-model-error';
import { DEV_MODEL_FORMAT_VERSION, DevModelMarker, devModelFilesIntact, readDevModelMarker } from './dev-model-marker';
import {
  DevModelDtype,
  DevModelOptions,
  ValidDevModelOptions,
  validateDevModelOptions,
  writeDevModel,
} from './make-dev-model';
import { createStagingDir, removeAbandonedStagingDirs, waitForOtherGenerators } from './staging-dirs';

/** Calls in this process for the same directory share one generation. */
const inFlight = new Map<string, Promise<string>>();

/**
 * Returns `dir` once it holds the requested dev model, generating it if needed. Cheap when the
 * model is already there (reads the marker, stats the files). Safe when several processes call it
 * at once: each builds in its own staging directory beside `dir` and renames it into place
 * atomically; a loser finds the winner's model and discards its own. A process that sees another
 * one's fresh staging directory waits for its result instead of generating a second copy. A directory that holds
 * anything else (another size or seed, or foreign files) is never touched: that is an error.
 */
export async function ensureDevModel(options: DevModelOptions): Promise<string> {
  const valid = validateDevModelOptions(options);
  const pending = inFlight.get(valid.dir);
  // Wait for the other call, whatever its outcome, then check again: usually the model is there now.
  if (pending) return pending.catch(() => undefined).then(() => ensureDevModel(options));
  const run = ensure(valid).finally(() => inFlight.delete(valid.dir));
  inFlight.set(valid.dir, run);
  return run;
}

/** `outdated` keeps the precisions the old copy had, so adding fp16 never drops another caller's files. */
type DirState = { kind: 'ready' } | { kind: 'absent' } | { kind: 'outdated'; dtypes: DevModelDtype[] };

async function ensure(options: ValidDevModelOptions): Promise<string> {
  if ((await inspect(options)).kind === 'ready') return options.dir;

  await removeAbandonedStagingDirs(options.dir);
  const isReady = async () => (await inspect(options)).kind === 'ready';
  if (await waitForOtherGenerators(options.dir, isReady)) return options.dir;
  // Looked again: the wait may have ended because another generator gave up.
  const state = await inspect(options);
  if (state.kind === 'ready') return options.dir;

  await generateInPlace(options, state).catch((error: unknown) => {
    if (error instanceof DevModelError) throw error;
    throw new DevModelError(
      'DEV_MODEL_WRITE_FAILED',
      `could not put the ${options.size} dev model in ${options.dir}: ${(error as Error).message}`,
      {
        hint: `check that ${dirname(options.dir)} is writable`,
        cause: error,
      },
    );
  });
  if ((await inspect(options)).kind !== 'ready') {
    throw new DevModelError(
      'DEV_MODEL_WRITE_FAILED',
      `generated the ${options.size} dev model but ${options.dir} is still not complete`,
      {
        hint: `another process may be rewriting ${options.dir}; delete it and start again`,
      },
    );
  }
  return options.dir;
}

/** Builds in a staging directory beside `dir`, then renames it into place. */
async function generateInPlace(options: ValidDevModelOptions, state: DirState): Promise<void> {
  const staging = await createStagingDir(options.dir);
  try {
    const dtypes = state.kind === 'outdated' ? union(options.dtypes, state.dtypes) : options.dtypes;
    await writeDevModel({ ...options, dir: staging, dtypes });
    if (state.kind === 'outdated') await replaceOutdated(options.dir, staging);
    else
      await rename(staging, options.dir).catch((error: NodeJS.ErrnoException) => {
        // ENOTEMPTY/EEXIST: another process renamed its copy in first; its model is checked after.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function inspect(options: ValidDevModelOptions): Promise<DirState> {
  const { dir, size, seed, poison } = options;
  let marker = await readDevModelMarker(dir);
  if (!marker) {
    const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      if (error.code === 'ENOTDIR')
        throw new DevModelError('DEV_MODEL_DIR_CONFLICT', `${dir} is a file, not a directory`, {
          hint: 'point the dev model at a directory path',
        });
      throw error;
    });
    if (entries.length === 0) return { kind: 'absent' };
    // Another process may have renamed its finished model into place between the two reads above
    // (the rename is atomic, so a second look sees its marker).
    marker = await readDevModelMarker(dir);
  }
  if (!marker) {
    throw new DevModelError(
      'DEV_MODEL_DIR_CONFLICT',
      `${dir} is not empty and holds no generated dev model (no vectorizer-dev.json)`,
      {
        hint: 'point the dev model at an empty or missing directory; files that are not a dev model are never overwritten',
      },
    );
  }
  if (
    marker.size !== size ||
    marker.seed !== seed ||
    marker.poison !== poison ||
    marker.fp16Io !== options.fp16Io ||
    marker.imageSize !== options.imageSize ||
    marker.family !== options.family
  ) {
    throw new DevModelError(
      'DEV_MODEL_DIR_CONFLICT',
      `${dir} holds the ${describe(marker)}, not the requested ${describe({ size, seed, poison, family: options.family })}`,
      {
        hint: `use another directory for this size/seed, or delete ${dir}`,
      },
    );
  }
  const present = marker.dtypes ?? ['fp32'];
  if (
    marker.formatVersion !== DEV_MODEL_FORMAT_VERSION ||
    !options.dtypes.every((dtype) => present.includes(dtype)) ||
    !(await devModelFilesIntact(dir, marker))
  )
    return { kind: 'outdated', dtypes: present };
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

function describe(model: Pick<DevModelMarker, 'size' | 'seed' | 'poison' | 'family'>): string {
  return `${model.size}${model.family ? ` ${model.family}` : ''} dev model with seed ${model.seed}${model.poison ? ` poisoned for ${model.poison} images` : ''}`;
}

function union(a: DevModelDtype[], b: DevModelDtype[]): DevModelDtype[] {
  return (['fp32', 'fp16'] as const).filter((dtype) => a.includes(dtype) || b.includes(dtype));
}
