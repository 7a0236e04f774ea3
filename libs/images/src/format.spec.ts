import sharp from 'sharp';
import { ImageError } from './errors';
import { requireSupportedFormat, sniffImageFormat } from './format';

describe('sniffImageFormat', () => {
  const pixel = () => sharp({ create: { width: 2, height: 2, channels: 3, background: '#808080' } });

  it.each([
    ['jpeg', () => pixel().jpeg().toBuffer()],
    ['png', () => pixel().png().toBuffer()],
    ['webp', () => pixel().webp().toBuffer()],
    ['gif', () => pixel().gif().toBuffer()],
    ['avif', () => pixel().avif().toBuffer()],
    ['tiff', () => pixel().tiff().toBuffer()],
  ] as const)('recognises %s from its magic bytes', async (format, make) => {
    expect(sniffImageFormat(await make())).toBe(format);
  });

  it.each([
    ['empty', Buffer.alloc(0), 'IMAGE_EMPTY', 'empty'],
    [
      'SVG',
      Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
      'IMAGE_UNSUPPORTED_FORMAT',
      'SVG',
    ],
    ['HTML', Buffer.from('  <!DOCTYPE html><html></html>'), 'IMAGE_UNSUPPORTED_FORMAT', 'HTML'],
    [
      'HEIC',
      Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic')]),
      'IMAGE_UNSUPPORTED_FORMAT',
      'HEIC',
    ],
    ['BMP', Buffer.from('BM\0\0\0\0\0\0\0\0'), 'IMAGE_UNSUPPORTED_FORMAT', 'BMP'],
    ['a truncated signature', Buffer.from([0xff, 0xd8]), 'IMAGE_UNSUPPORTED_FORMAT', 'unrecognised'],
  ])('refuses %s with a permanent, specific error', (_name, bytes, code, mentions) => {
    expect(sniffImageFormat(bytes)).toBeUndefined();
    let error: unknown;
    try {
      requireSupportedFormat(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).code).toBe(code);
    expect((error as ImageError).retryable).toBe(false);
    expect((error as ImageError).message).toContain(mentions);
  });
});
