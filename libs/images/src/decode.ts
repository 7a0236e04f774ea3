import sharp, { type KernelEnum, type Sharp, type SharpOptions } from 'sharp';
import { cmykToRgb } from './cmyk';
import { withDeadline } from '@vectorizer/errors';
import { ImageError } from './errors';
import { requireSupportedFormat } from './format';
import { readJpegHeader, type ImageHeader } from './jpeg-header';
import { jpegShrinkFactor, withScaledJpeg } from './jpeg-shrink';

/** Bounds on one untrusted image; every breach is a permanent ImageError. */
export interface DecodeLimits {
  maxBytes: number;
  /** width × height as declared by the file header, checked before any pixel is decoded. */
  maxPixels: number;
  timeoutMs: number;
  /**
   * `exact` (the default here) decodes every image at full size before the Pillow-style resize;
   * `fast` lets libjpeg decode JPEGs at least twice the target size at 1/2, 1/4 or 1/8 scale
   * first (IMAGE_RESIZE).
   */
  resize?: ResizeMode;
}

export type ResizeMode = 'fast' | 'exact';

export interface ResizeTarget {
  width: number;
  height: number;
  kernel: KernelEnum[keyof KernelEnum];
}

/** Interleaved 8-bit RGB, `width × height × 3` bytes. */
export interface RgbPixels {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Decodes like transformers' `load_image` (Pillow open → exif_transpose → convert("RGB")) and
 * resizes to exactly target.width × target.height (aspect ratio not kept, as SigLIP does).
 *
 * Differences from sharp's defaults, each chosen for parity with Pillow:
 * - embedded ICC profiles are ignored (Pillow does not apply them);
 * - `pipelineColourspace('srgb')` converts 16-bit and greyscale to 8-bit sRGB before the resize,
 *   as Pillow does, and also turns off JPEG shrink-on-load, which sharp applies even with
 *   `fastShrinkOnLoad: false` and which left errors of up to 16 levels on a 1000 px photo.
 *   In `fast` mode 8-bit JPEGs skip it, so libjpeg may scale while decoding (see decodeMode);
 * - alpha is DROPPED, not flattened onto a background: Pillow's convert("RGB") keeps the stored
 *   colour of transparent pixels. It is removed before resizing, because sharp would otherwise
 *   resize premultiplied and darken every partly transparent edge;
 * - CMYK uses Pillow's naive formula instead of an ICC transform (see cmyk.ts), applied after
 *   the resize so that memory stays bounded (see decodeMemoryEstimate for the parity cost).
 * - one deliberate divergence: 16-bit greyscale keeps its high byte (as Pillow does for 16-bit
 *   RGB). Pillow's own I -> RGB conversion clips every value above 255, turning such photos white;
 *   test/reference.py mirrors this choice.
 */
export async function decodeRgbResized(
  bytes: Buffer,
  target: ResizeTarget,
  limits: DecodeLimits,
  /** The header, when the caller already read it with readHeader (it is not read twice). */
  header?: ImageHeader,
): Promise<RgbPixels> {
  requireDecodable(bytes, limits);
  return withDeadline(
    limits.timeoutMs,
    () =>
      new ImageError('IMAGE_DECODE_TIMEOUT', `decoding took longer than ${limits.timeoutMs} ms`, {
        hint: 'the file is unusually expensive to decode; raise IMAGE_DECODE_TIMEOUT_MS if it is legitimate',
      }),
    async () => {
      const metadata = header ?? (await readHeader(bytes, limits));
      const timeoutSeconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
      if (metadata.space === 'cmyk') return decodeCmyk(bytes, target, limits, timeoutSeconds);
      if (metadata.hasAlpha) return decodeDroppingAlpha(bytes, target, limits, timeoutSeconds);
      if (limits.resize === 'fast' && isPlain8BitJpeg(metadata))
        return decodeJpegFast(bytes, metadata, target, limits, timeoutSeconds);
      const image = oriented(bytes, limits);
      return runToPixels(resizeTo(image.pipelineColourspace('srgb'), target), timeoutSeconds);
    },
  );
}

/** The checks that need no decoding: the byte limit and a supported format (by magic bytes). */
export function requireDecodable(bytes: Buffer, limits: Pick<DecodeLimits, 'maxBytes'>): void {
  if (bytes.length > limits.maxBytes) {
    throw new ImageError('IMAGE_TOO_LARGE', `image is ${bytes.length} bytes, over the ${limits.maxBytes}-byte limit`, {
      hint: 'raise IMAGE_MAX_BYTES if such files are expected',
    });
  }
  requireSupportedFormat(bytes);
}

/**
 * Reads the header only and applies the pixel budget. Common JPEGs are read in JS (readJpegHeader);
 * everything else by sharp, without the pixel limit so that we can report the size. The result
 * also feeds decodeMemoryEstimate.
 */
export async function readHeader(bytes: Buffer, limits: Pick<DecodeLimits, 'maxPixels'>): Promise<ImageHeader> {
  const metadata =
    readJpegHeader(bytes) ??
    (await translateSharpErrors(sharp(bytes, { ...inputOptions(limits), limitInputPixels: false }).metadata()));
  requirePixelBudget(metadata, limits.maxPixels);
  return metadata;
}

const isPlain8BitJpeg = (metadata: ImageHeader): boolean =>
  metadata.format === 'jpeg' && (metadata.space === 'srgb' || metadata.space === 'b-w') && metadata.depth === 'uchar';

function inputOptions(limits: Pick<DecodeLimits, 'maxPixels'>): SharpOptions {
  // limitInputPixels backs up the header check for decoders that learn the size late;
  // failOn 'truncated' refuses cut-off files as Pillow does (instead of padding them with grey) yet,
  // like Pillow, tolerates libjpeg's benign warnings such as extraneous bytes before a marker.
  return { limitInputPixels: limits.maxPixels, ignoreIcc: true, failOn: 'truncated' };
}

function requirePixelBudget(metadata: ImageHeader, maxPixels: number): void {
  const { width, height } = metadata;
  if (!width || !height) throw new ImageError('IMAGE_CORRUPT', 'the image header declares no dimensions');
  if (width * height > maxPixels) {
    throw new ImageError(
      'IMAGE_TOO_MANY_PIXELS',
      `image is ${width}x${height} (${width * height} pixels), over the ${maxPixels}-pixel limit`,
      { hint: 'raise IMAGE_MAX_PIXELS if such images are expected' },
    );
  }
}

const oriented = (bytes: Buffer, limits: DecodeLimits): Sharp => sharp(bytes, inputOptions(limits)).autoOrient();

const resizeTo = (image: Sharp, target: ResizeTarget): Sharp =>
  image.resize(target.width, target.height, { fit: 'fill', kernel: target.kernel, fastShrinkOnLoad: false });

async function runToPixels(image: Sharp, timeoutSeconds: number): Promise<RgbPixels> {
  const { data, info } = await translateSharpErrors(
    image
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .timeout({ seconds: timeoutSeconds })
      .toBuffer({ resolveWithObject: true }),
  );
  if (info.channels !== 3)
    throw new ImageError('IMAGE_CORRUPT', `decoder produced ${info.channels} channels, expected 3`);
  return { data, width: info.width, height: info.height };
}

/**
 * IMAGE_RESIZE=fast for 8-bit RGB and greyscale JPEGs: no pipeline colourspace (it would turn off
 * shrink-on-load), and libjpeg's DCT scaling from twice the target size on (see jpeg-shrink.ts).
 */
async function decodeJpegFast(
  bytes: Buffer,
  header: ImageHeader,
  target: ResizeTarget,
  limits: DecodeLimits,
  timeoutSeconds: number,
) {
  const factor = jpegShrinkFactor(header, target);
  const scaled =
    factor > 1
      ? await withScaledJpeg(bytes, factor, (input) =>
          runToPixels(resizeTo(sharp(input, inputOptions(limits)).autoOrient(), target), timeoutSeconds),
        )
      : undefined;
  return (
    scaled ??
    runToPixels(
      oriented(bytes, limits).resize(target.width, target.height, { fit: 'fill', kernel: target.kernel }),
      timeoutSeconds,
    )
  );
}

/**
 * sharp resizes any image with alpha premultiplied, which loses the colour Pillow keeps under
 * transparent pixels; so the alpha is dropped at full size first. That full-size RGB buffer
 * (3 bytes per pixel) is the one unbounded-by-target cost left; decodeMemoryEstimate counts it.
 */
async function decodeDroppingAlpha(bytes: Buffer, target: ResizeTarget, limits: DecodeLimits, timeoutSeconds: number) {
  const full = await runToPixels(oriented(bytes, limits).pipelineColourspace('srgb'), timeoutSeconds);
  return runToPixels(resizeTo(rawRgb(full), target), timeoutSeconds);
}

/**
 * Resizes the ink values (a CMYK pipeline keeps them as stored, Adobe inversion already undone by
 * libjpeg) and applies Pillow's CMYK → RGB formula to the small result. Pillow converts first and
 * resizes after; the formula is not linear, so the two orders differ by a fraction of a level on
 * photos, and never hold more than a few rows of the full-size image.
 */
async function decodeCmyk(bytes: Buffer, target: ResizeTarget, limits: DecodeLimits, timeoutSeconds: number) {
  const { data, info } = await translateSharpErrors(
    resizeTo(oriented(bytes, limits).pipelineColourspace('cmyk'), target)
      .toColourspace('cmyk')
      .raw()
      .timeout({ seconds: timeoutSeconds })
      .toBuffer({ resolveWithObject: true }),
  );
  if (info.channels < 4)
    throw new ImageError('IMAGE_CORRUPT', `CMYK decoder produced ${info.channels} channels, expected 4`);
  return {
    data: cmykToRgb(data, info.channels, info.width * info.height),
    width: info.width,
    height: info.height,
  };
}

const rawRgb = (pixels: RgbPixels): Sharp =>
  sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } });

/** sharp reports everything as a plain Error; give callers a code they can act on. */
async function translateSharpErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ImageError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/exceeds pixel limit/i.test(message)) {
      throw new ImageError('IMAGE_TOO_MANY_PIXELS', `image is over the pixel limit: ${message}`, {
        hint: 'raise IMAGE_MAX_PIXELS if such images are expected',
        cause: error,
      });
    }
    if (/timeout/i.test(message)) {
      throw new ImageError('IMAGE_DECODE_TIMEOUT', `decoding timed out: ${message}`, { cause: error });
    }
    throw new ImageError('IMAGE_CORRUPT', `the image cannot be decoded: ${message}`, {
      hint: 'the file is truncated or damaged; re-upload it',
      cause: error,
    });
  }
}
