import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VectorizerError, isRegisteredCode, meaningOf } from '@vectorizer/errors';
import { ImageError } from '../errors';
import { readLocalImage } from './local-image-file';

describe('readLocalImage', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-image-'));
    await writeFile(join(dir, 'small.bin'), Buffer.from([1, 2, 3]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a file within the limit', async () => {
    await expect(readLocalImage(join(dir, 'small.bin'), 3)).resolves.toEqual(Buffer.from([1, 2, 3]));
  });

  // Each failure is a registered code, so the CLI prints its hint and a job would not burn retries on it.
  it.each([
    ['a missing file', 'missing.png', 'FILE_NOT_FOUND'],
    ['a directory', '.', 'FILE_UNREADABLE'],
  ])('refuses %s with %s', async (_what, name, code) => {
    const error = await readLocalImage(join(dir, name), 1_000_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorizerError);
    expect(error).toMatchObject({ code, message: expect.stringContaining(join(dir, name)) });
    expect(isRegisteredCode(code)).toBe(true);
    expect(meaningOf(code).http).toBeLessThan(500);
  });

  it('refuses a file over maxBytes before reading it, as an ImageError that never retries', async () => {
    const error = await readLocalImage(join(dir, 'small.bin'), 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error).toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      retryable: false,
      hint: expect.stringContaining('IMAGE_MAX_BYTES'),
    });
  });
});
