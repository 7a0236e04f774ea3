import sharp, { type KernelEnum, type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { cmykToRgb } from './cmyk';
import { withDeadline } from './deadline';
import { ImageError } from './errors';
import { requireSupportedFormat } from './format';

/** Bounds on one untrusted image; every breach is a permanent ImageError. */
export interface DecodeLimits {
  maxBytes: number;
  /** width × height as declared by the file header, checked before any pixel is decoded. */
  maxPixels: number;
  timeoutMs: number;
}

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
 *   `fastShrinkOnLoad: false` and which left errors of up to 16 levels on a 1000 px photo;
 * - alpha is DROPPED, not flattened onto a background: Pillow's convert("RGB") keeps the stored
 *   colour of transparent pixels. It is removed before resizing, because sharp would otherwise
 *   resize premultiplied and darken every partly transparent edge;
 * - CMYK uses Pillow's naive formula instead of an ICC transform (see cmyk.ts).
 * - one deliberate divergence: 16-bit greyscale keeps its high byte (as Pillow does for 16-bit
 *   RGB). Pillow's own I -> RGB conversion clips every value above 255, turning such photos white;
 *   test/reference.py mirrors this choice.
 */
export async function decodeRgbResized(bytes: Buffer, target: ResizeTarget, limits: DecodeLimits): Promise<RgbPixels> {
  if (bytes.length > limits.maxBytes) {
    throw new ImageError('IMAGE_TOO_LARGE', `image is ${bytes.length} bytes, over the ${limits.maxBytes}-byte limit`, {
      hint: 'raise IMAGE_MAX_BYTES if such files are expected',
    });
  }
  requireSupportedFormat(bytes);
  return withDeadline(
    limits.timeoutMs,
    () =>
      new ImageError('IMAGE_DECODE_TIMEOUT', `decoding took longer than ${limits.timeoutMs} ms`, {
        hint: 'the file is unusually expensive to decode; raise IMAGE_DECODE_TIMEOUT_MS if it is legitimate',
      }),
    async () => {
      // Reading metadata parses the header only; without the pixel limit sharp lets us report the size.
      const metadata = await translateSharpErrors(
        sharp(bytes, { ...inputOptions(limits), limitInputPixels: false }).metadata(),
      );
      requirePixelBudget(metadata, limits.maxPixels);
      const timeoutSeconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
      if (metadata.space === 'cmyk') return decodeCmyk(bytes, target, limits, timeoutSeconds);
      if (metadata.hasAlpha) return decodeDroppingAlpha(bytes, target, limits, timeoutSeconds);
      return runToRgb(resizeTo(oriented(bytes, limits).pipelineColourspace('srgb'), target), timeoutSeconds);
    },
  );
}

function inputOptions(limits: DecodeLimits): SharpOptions {
  // limitInputPixels backs up the header check for decoders that learn the size late;
  // failOn 'truncated' refuses cut-off files as Pillow does (instead of padding them with grey) yet,
  // like Pillow, tolerates libjpeg's benign warnings such as extraneous bytes before a marker.
  return { limitInputPixels: limits.maxPixels, ignoreIcc: true, failOn: 'truncated' };
}

function requirePixelBudget(metadata: Metadata, maxPixels: number): void {
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

async function runToRgb(image: Sharp, timeoutSeconds: number): Promise<RgbPixels> {
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

async function decodeDroppingAlpha(bytes: Buffer, target: ResizeTarget, limits: DecodeLimits, timeoutSeconds: number) {
  const full = await runToRgb(oriented(bytes, limits).pipelineColourspace('srgb'), timeoutSeconds);
  return runToRgb(resizeTo(rawRgb(full), target), timeoutSeconds);
}

async function decodeCmyk(bytes: Buffer, target: ResizeTarget, limits: DecodeLimits, timeoutSeconds: number) {
  // A CMYK pipeline keeps the ink values as stored (Adobe inversion already undone by libjpeg).
  const { data, info } = await translateSharpErrors(
    oriented(bytes, limits)
      .pipelineColourspace('cmyk')
      .toColourspace('cmyk')
      .raw()
      .timeout({ seconds: timeoutSeconds })
      .toBuffer({ resolveWithObject: true }),
  );
  const rgb = {
    data: cmykToRgb(data, info.channels, info.width * info.height),
    width: info.width,
    height: info.height,
  };
  return runToRgb(resizeTo(rawRgb(rgb), target), timeoutSeconds);
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
