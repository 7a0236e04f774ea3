import { readFile, stat } from 'node:fs/promises';
import { VectorizerError } from '@vectorizer/errors';
import { ImageError } from '../errors';

/**
 * The bytes of an image file named on a command line (no file root: the person typing it may read
 * it), refused above `maxBytes` before reading: FILE_NOT_FOUND, FILE_UNREADABLE or IMAGE_TOO_LARGE.
 */
export async function readLocalImage(path: string, maxBytes: number): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new VectorizerError('FILE_NOT_FOUND', `no such file: ${path}`, { cause: error });
    }
    throw new VectorizerError('FILE_UNREADABLE', `cannot read ${path}: ${String(error)}`, { cause: error });
  }
  if (size > maxBytes) {
    throw new ImageError('IMAGE_TOO_LARGE', `${path} is ${size} bytes, over IMAGE_MAX_BYTES=${maxBytes}`, {
      hint: 'raise IMAGE_MAX_BYTES if such files are expected',
    });
  }
  try {
    return await readFile(path);
  } catch (error) {
    throw new VectorizerError('FILE_UNREADABLE', `cannot read ${path}: ${String(error)}`, { cause: error });
  }
}
