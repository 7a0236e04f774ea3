import { setTimeout as sleep } from 'node:timers/promises';
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Staging directories are where a dev model is generated before it is renamed into place. They
 * sit beside the target as `.<name>.staging-XXXXXX`, which lets concurrent processes see each
 * other: a fresh one means another process is generating right now (wait for it instead of
 * writing another 400 MB), an idle one was left behind by a killed process (remove it).
 */

/** Another process counts as still generating while something in its staging tree changed this recently. */
export const STAGING_ACTIVE_MS = 30_000;
/** Idle this long, a staging directory is abandoned: far beyond any pause in a live write. */
export const STAGING_ABANDONED_MS = 10 * 60_000;
const POLL_MS = 200;

export interface StagingDir {
  path: string;
  /** Newest mtime in the directory tree: the last sign of life of its writer. */
  lastActivityMs: number;
}

export async function createStagingDir(dir: string): Promise<string> {
  await mkdir(dirname(dir), { recursive: true });
  const staging = await mkdtemp(join(dirname(dir), `${stagingPrefix(dir)}`));
  // mkdtemp creates 0700; the model must stay readable to other users (containers, services).
  await chmod(staging, 0o755);
  return staging;
}

export async function listStagingDirs(dir: string): Promise<StagingDir[]> {
  const parent = dirname(dir);
  const names = await readdir(parent).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const found: StagingDir[] = [];
  for (const name of names.filter((n) => n.startsWith(stagingPrefix(dir)))) {
    const lastActivityMs = await newestMtime(join(parent, name));
    // Vanished while we looked: its writer finished or cleaned up.
    if (lastActivityMs !== undefined) found.push({ path: join(parent, name), lastActivityMs });
  }
  return found;
}

export async function removeAbandonedStagingDirs(dir: string): Promise<void> {
  const now = Date.now();
  for (const staging of await listStagingDirs(dir)) {
    if (now - staging.lastActivityMs > STAGING_ABANDONED_MS) await rm(staging.path, { recursive: true, force: true });
  }
}

/**
 * Waits while another process is visibly generating next to `dir`, checking `isDone` between
 * polls. Returns true when `isDone` said so, false when nobody is (or is any longer) generating.
 */
export async function waitForOtherGenerators(dir: string, isDone: () => Promise<boolean>): Promise<boolean> {
  for (;;) {
    const now = Date.now();
    const active = (await listStagingDirs(dir)).some((staging) => now - staging.lastActivityMs < STAGING_ACTIVE_MS);
    if (!active) return false;
    await sleep(POLL_MS);
    if (await isDone()) return true;
  }
}

function stagingPrefix(dir: string): string {
  return `.${basename(dir)}.staging-`;
}

/** Newest mtime of a directory, its entries and their entries (the model tree is two levels deep). */
async function newestMtime(path: string, depth = 0): Promise<number | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined;
  let newest = info.mtimeMs;
  if (info.isDirectory() && depth < 2) {
    for (const name of await readdir(path).catch(() => []))
      newest = Math.max(newest, (await newestMtime(join(path, name), depth + 1)) ?? 0);
  }
  return newest;
}
