import { existsSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbedderError } from '../errors';
import { type ManifestEntry, readManifest, sha256File } from './manifest';
import { repairHint, type ModelSource } from './repair-hint';

/**
 * always: hash every file (the `model verify` command).
 * when-changed: hash only files whose size or mtime differ from the last verified hash, kept in
 *   `.vectorizer-verified.json` next to the manifest. Hashing a 1.6 GB model costs ~3 s of disk
 *   and CPU; every worker start paying it on every restart is waste when nothing changed, and a
 *   changed file always changes its mtime. On a read-only model directory the stamp cannot be
 *   written and every start hashes (slower, still correct).
 * never: sizes only.
 */
export type HashPolicy = 'always' | 'when-changed' | 'never';

export interface VerifyResult {
  /** False when the directory has no manifest: only the presence of the required files was checked. */
  hasManifest: boolean;
  files: { path: string; size: number; hashed: boolean }[];
}

const STAMP_FILE = '.vectorizer-verified.json';
type Stamps = Record<string, { size: number; mtimeMs: number; sha256: string }>;

async function readStamps(dir: string): Promise<Stamps> {
  try {
    return JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8')) as Stamps;
  } catch {
    return {};
  }
}

async function writeStamps(dir: string, stamps: Stamps): Promise<void> {
  try {
    // Several workers may start at once: write aside and rename, so a reader never sees half a file.
    const tmp = join(dir, `${STAMP_FILE}.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(stamps));
    await rename(tmp, join(dir, STAMP_FILE));
  } catch {
    // Read-only model directory (a mounted cache): the next start hashes again.
  }
}

function missing(dir: string, path: string, source: ModelSource, cause?: unknown): EmbedderError {
  return new EmbedderError('MODEL_FILE_MISSING', `Model file missing: ${join(dir, path)}`, {
    hint: `The model directory is incomplete (an interrupted download?); ${repairHint(source)}`,
    cause,
  });
}

async function verifyEntry(
  dir: string,
  entry: ManifestEntry,
  policy: HashPolicy,
  stamps: Stamps,
  source: ModelSource,
): Promise<boolean> {
  const file = join(dir, entry.path);
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    throw missing(dir, entry.path, source, error);
  }
  if (info.size !== entry.size) {
    throw new EmbedderError(
      'MODEL_FILE_INCOMPLETE',
      `Model file ${file} is ${info.size} bytes but the manifest says ${entry.size} (partial download or truncated copy)`,
      { hint: repairHint(source) },
    );
  }
  if (policy === 'never') return false;
  const stamp = stamps[entry.path];
  if (
    policy === 'when-changed' &&
    stamp &&
    stamp.size === info.size &&
    stamp.mtimeMs === info.mtimeMs &&
    stamp.sha256 === entry.sha256
  ) {
    return false;
  }
  const actual = await sha256File(file);
  if (actual !== entry.sha256) {
    throw new EmbedderError(
      'MODEL_FILE_CORRUPT',
      `Model file ${file} has sha256 ${actual} but the manifest says ${entry.sha256}`,
      {
        hint: `The file was modified or corrupted on disk; ${repairHint(source)}`,
      },
    );
  }
  stamps[entry.path] = { size: info.size, mtimeMs: info.mtimeMs, sha256: actual };
  return true;
}

/**
 * Checks a model directory before ORT loads it: the files the runtime needs must exist, and when a
 * manifest is present every file in it must have its recorded size and sha256. Fails with ONE
 * error that names the file, the cause and the repair command.
 */
export async function verifyModel(opts: {
  dir: string;
  requiredFiles: string[];
  source: ModelSource;
  hashPolicy: HashPolicy;
}): Promise<VerifyResult> {
  const { dir, source, hashPolicy } = opts;
  const manifest = await readManifest(dir);
  const results: VerifyResult['files'] = [];
  if (manifest) {
    const stamps = hashPolicy === 'when-changed' ? await readStamps(dir) : {};
    let hashedAny = false;
    for (const entry of manifest.files) {
      const hashed = await verifyEntry(dir, entry, hashPolicy, stamps, source);
      hashedAny ||= hashed;
      results.push({ path: entry.path, size: entry.size, hashed });
    }
    if (hashedAny && hashPolicy === 'when-changed') await writeStamps(dir, stamps);
  }
  const listed = new Set(manifest?.files.map((entry) => entry.path));
  for (const path of opts.requiredFiles) {
    if (listed.has(path)) continue;
    if (!existsSync(join(dir, path))) throw missing(dir, path, source);
    results.push({ path, size: (await stat(join(dir, path))).size, hashed: false });
  }
  return { hasManifest: manifest !== undefined, files: results };
}
