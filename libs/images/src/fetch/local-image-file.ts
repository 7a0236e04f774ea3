import { readFile, stat } from 'node:fs/promises';

/**
 * The bytes of an image file named on a command line (no file root: the person typing it may read
 * it), refused above `maxBytes` before reading. Failures carry a code the caller can print:
 * FILE_NOT_FOUND, FILE_UNREADABLE or IMAGE_TOO_LARGE.
 */
export async function readLocalImage(path: string, maxBytes: number): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw Object.assign(new Error(missing ? `no such file: ${path}` : `cannot read ${path}: ${String(error)}`), {
      code: missing ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE',
    });
  }
  if (size > maxBytes) {
    throw Object.assign(new Error(`${path} is ${size} bytes, over IMAGE_MAX_BYTES=${maxBytes}`), {
      code: 'IMAGE_TOO_LARGE',
    });
  }
  return readFile(path);
}
