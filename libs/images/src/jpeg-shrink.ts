import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * libjpeg decodes at 1/2, 1/4 or 1/8 scale for a fraction of the full decode's cost (the inverse
 * DCT runs on fewer coefficients and the colour conversion on fewer pixels). sharp chooses that
 * scale itself only from 3× the target size on ("known libjpeg rounding errors" below that), so a
 * 1000 px photo going to SigLIP's 384 px decodes in full. libvips takes the scale as a load option
 * in the file name (`photo.jpg[shrink=2]`), which sharp passes through for file input only: so
 * such images are written to a scratch file (in RAM where /dev/shm exists) and decoded from there.
 */

/** The largest DCT scale (8, 4 or 2) that leaves the image at least as large as the target on both axes, else 1. */
export function jpegShrinkFactor(
  source: { width: number; height: number },
  target: { width: number; height: number },
): number {
  // Shorter side against longer side, so that an EXIF rotation can never make the result too small.
  const room = Math.min(source.width, source.height) / Math.max(target.width, target.height);
  return [8, 4, 2].find((factor) => room >= factor) ?? 1;
}

const SCRATCH_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
let sequence = 0;

/**
 * Runs `decode` on a libvips input name that loads `bytes` at 1/`factor` scale, or returns
 * undefined when the scratch file cannot be written (a full /dev/shm, a read-only tmp, a name
 * already taken): the caller then decodes from memory at full scale. The file is created
 * exclusively (never through someone else's file or link), readable by this user only, and
 * removed once `decode` settles.
 *
 * The file calls are synchronous on purpose: a small write to tmpfs is cheaper than the promise
 * machinery around an asynchronous one (docs/performance.md).
 */
export async function withScaledJpeg<T>(
  bytes: Buffer,
  factor: number,
  decode: (input: string) => Promise<T>,
): Promise<T | undefined> {
  // A new name per decode: libvips caches file loads by name.
  const file = join(SCRATCH_DIR, `vectorizer-jpeg-${process.pid}-${(sequence += 1)}.jpg`);
  try {
    writeFileSync(file, bytes, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    // EEXIST: not ours to remove.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') removeQuietly(file);
    return undefined;
  }
  try {
    return await decode(`${file}[shrink=${factor}]`);
  } finally {
    removeQuietly(file);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone, or never written: nothing to clean up.
  }
}
