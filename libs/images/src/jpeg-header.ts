import type { Metadata } from 'sharp';

/** The header fields the decode path and its memory estimate read (a subset of sharp's metadata()). */
export type ImageHeader = Pick<
  Metadata,
  'format' | 'width' | 'height' | 'channels' | 'space' | 'depth' | 'hasAlpha' | 'isProgressive'
>;

/** Start-of-frame markers for 8-bit Huffman JPEGs: baseline, extended sequential, progressive. */
const HUFFMAN_FRAME_MARKERS = new Map([
  [0xc0, false],
  [0xc1, false],
  [0xc2, true],
]);
const START_OF_SCAN = 0xda;
const END_OF_IMAGE = 0xd9;
const SPACE_BY_COMPONENTS = new Map<number, ImageHeader['space']>([
  [1, 'b-w'],
  [3, 'srgb'],
  [4, 'cmyk'],
]);

/** Markers that carry no length field: TEM, RST0-7, SOI, EOI. */
const standalone = (marker: number): boolean => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9);

/**
 * Reads a JPEG's frame header in JS (what sharp's metadata() reports for it, without a libvips
 * pipeline per image). Only the common case is read here: an 8-bit baseline, extended or
 * progressive Huffman frame with 1, 3 or 4 components. Anything else (12-bit, lossless,
 * arithmetic-coded, a height defined later by DNL, a frame not found before the first scan) gives
 * undefined, and the caller asks libvips. A damaged file whose header still parses fails at decode
 * as before (IMAGE_CORRUPT).
 */
export function readJpegHeader(bytes: Buffer): ImageHeader | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    let marker = bytes[offset + 1];
    // Any number of 0xFF fill bytes may precede a marker.
    while (marker === 0xff && offset + 2 < bytes.length) marker = bytes[++offset + 1];
    offset += 2;
    if (standalone(marker)) {
      if (marker === END_OF_IMAGE) return undefined;
      continue;
    }
    if (marker === START_OF_SCAN || offset + 2 > bytes.length) return undefined;
    const length = bytes.readUInt16BE(offset);
    if (length < 2) return undefined;
    const progressive = HUFFMAN_FRAME_MARKERS.get(marker);
    if (progressive !== undefined) return frameHeader(bytes, offset, length, progressive);
    // Any other start-of-frame (C3, C5-C7, C9-CB, CD-CF) is a coding we leave to libvips.
    if (marker >= 0xc3 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return undefined;
    offset += length;
  }
  return undefined;
}

/** SOF segment: length (2), precision (1), height (2), width (2), components (1), 3 bytes per component. */
function frameHeader(bytes: Buffer, offset: number, length: number, isProgressive: boolean): ImageHeader | undefined {
  if (length < 8 || offset + 8 > bytes.length) return undefined;
  const precision = bytes[offset + 2];
  const height = bytes.readUInt16BE(offset + 3);
  const width = bytes.readUInt16BE(offset + 5);
  const components = bytes[offset + 7];
  const space = SPACE_BY_COMPONENTS.get(components);
  if (precision !== 8 || height === 0 || width === 0 || !space || length !== 8 + 3 * components) return undefined;
  return {
    format: 'jpeg',
    width,
    height,
    channels: components as ImageHeader['channels'],
    space,
    depth: 'uchar',
    hasAlpha: false,
    isProgressive,
  };
}
