import { ImageError } from './errors';

/** The encodings we hand to the decoder; everything else is refused before sharp sees it. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff';

const startsWith = (bytes: Buffer, signature: number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (bytes: Buffer, start: number, end: number): string => bytes.subarray(start, end).toString('latin1');

/** ISO-BMFF (`ftyp` box) brands: AVIF decodes with sharp's libheif; HEIC (HEVC) does not. */
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

function ftypBrands(bytes: Buffer): string[] | undefined {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const boxSize = Math.min(bytes.readUInt32BE(0), bytes.length);
  const brands = [ascii(bytes, 8, 12)];
  for (let offset = 16; offset + 4 <= boxSize; offset += 4) brands.push(ascii(bytes, offset, offset + 4));
  return brands;
}

/** Identifies the encoding from magic bytes; undefined when it is none we accept. */
export function sniffImageFormat(bytes: Buffer): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  // AVIF files may list HEIF brands too (mif1); any AVIF brand means the payload is AV1.
  if (ftypBrands(bytes)?.some((brand) => AVIF_BRANDS.has(brand))) return 'avif';
  return undefined;
}

function describeUnsupported(bytes: Buffer): string {
  if (ftypBrands(bytes)?.some((brand) => HEIC_BRANDS.has(brand))) return 'HEIC/HEIF (HEVC) images are not supported';
  const head = ascii(bytes, 0, 256).trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg')))
    return 'SVG images are not supported';
  if (head.startsWith('<')) return 'the content is HTML/XML, not an image';
  if (startsWith(bytes, [0x42, 0x4d])) return 'BMP images are not supported';
  return 'unrecognised content (no JPEG, PNG, WebP, GIF, AVIF or TIFF signature)';
}

/** Returns the format, or throws the permanent error explaining why these bytes are refused. */
export function requireSupportedFormat(bytes: Buffer): ImageFormat {
  if (bytes.length === 0) {
    throw new ImageError('IMAGE_EMPTY', 'the image is empty (0 bytes)', { hint: 'check that the URL serves the file' });
  }
  const format = sniffImageFormat(bytes);
  if (format) return format;
  throw new ImageError('IMAGE_UNSUPPORTED_FORMAT', `unsupported image format: ${describeUnsupported(bytes)}`, {
    hint: 'supported formats: JPEG, PNG, WebP, GIF, AVIF, TIFF',
  });
}
