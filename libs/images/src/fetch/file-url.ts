import { open, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageError } from '../errors';

/**
 * Reads a `file://` URL, only inside `fileRoot` once symlinks and `..` are resolved, so a product
 * feed cannot read /etc/passwd or the service's own secrets.
 */
export async function readFileUrl(url: URL, fileRoot: string | undefined, maxBytes: number): Promise<Buffer> {
  if (!fileRoot) {
    throw new ImageError('FETCH_FILE_URL_REFUSED', `file:// URLs are disabled: ${url.href}`, {
      hint: 'set IMAGE_FILE_ROOT to the directory local images may be read from',
    });
  }
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch (error) {
    throw new ImageError('FETCH_URL_INVALID', `invalid file URL ${url.href}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const root = await realpath(fileRoot).catch((error: unknown) => {
    throw new ImageError('FETCH_FILE_URL_REFUSED', `the file root ${fileRoot} does not exist`, {
      hint: 'fix IMAGE_FILE_ROOT',
      cause: error,
    });
  });
  const real = await realpath(path).catch((error: NodeJS.ErrnoException) => {
    throw new ImageError('FETCH_NOT_FOUND', `no such file: ${path} (${error.code ?? error.message})`, { cause: error });
  });
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new ImageError('FETCH_FILE_URL_REFUSED', `refused to read ${path}: it is outside the file root ${root}`, {
      hint: 'only files under IMAGE_FILE_ROOT can be read',
    });
  }
  const handle = await open(real, 'r');
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ImageError('FETCH_NOT_FOUND', `not a regular file: ${path}`);
    if (stats.size > maxBytes) {
      throw new ImageError('IMAGE_TOO_LARGE', `${path} is ${stats.size} bytes, over the ${maxBytes}-byte limit`, {
        hint: 'raise IMAGE_MAX_BYTES if such files are expected',
      });
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
