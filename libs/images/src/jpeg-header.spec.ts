import sharp from 'sharp';
import { readJpegHeader, type ImageHeader } from './jpeg-header';

const FIELDS = ['format', 'width', 'height', 'channels', 'space', 'depth', 'hasAlpha', 'isProgressive'] as const;

const gradient = (width: number, height: number) =>
  sharp(Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * 37) % 251)), {
    raw: { width, height, channels: 3 },
  });

const sharpHeader = async (bytes: Buffer): Promise<ImageHeader> => {
  const metadata = await sharp(bytes).metadata();
  return Object.fromEntries(FIELDS.map((field) => [field, metadata[field]])) as ImageHeader;
};

/** The offset of the first start-of-frame marker (FF C0 / C2) in an encoder's output. */
const frameMarkerAt = (bytes: Buffer): number => {
  for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && (bytes[i + 1] & 0xfd) === 0xc0) return i;
  throw new Error('no start-of-frame marker');
};

describe('readJpegHeader', () => {
  it.each([
    ['baseline RGB', () => gradient(321, 123).jpeg().toBuffer()],
    ['progressive RGB', () => gradient(64, 200).jpeg({ progressive: true }).toBuffer()],
    ['greyscale', () => gradient(50, 40).toColourspace('b-w').jpeg().toBuffer()],
    ['CMYK', () => gradient(33, 17).toColourspace('cmyk').jpeg().toBuffer()],
    [
      'EXIF orientation 6 and an ICC profile',
      () => gradient(90, 30).withMetadata({ orientation: 6 }).jpeg().toBuffer(),
    ],
    ['no chroma subsampling', () => gradient(77, 55).jpeg({ chromaSubsampling: '4:4:4' }).toBuffer()],
  ])('reports what sharp reports for a %s JPEG', async (_, make) => {
    const bytes = await make();
    expect(readJpegHeader(bytes)).toEqual(await sharpHeader(bytes));
  });

  it('skips fill bytes before a marker', async () => {
    const bytes = await gradient(20, 10).jpeg().toBuffer();
    const frame = frameMarkerAt(bytes);
    const padded = Buffer.concat([bytes.subarray(0, frame), Buffer.from([0xff, 0xff]), bytes.subarray(frame)]);
    expect(readJpegHeader(padded)).toMatchObject({ width: 20, height: 10 });
  });

  it.each([
    ['12-bit precision', (b: Buffer, frame: number) => b.fill(12, frame + 4, frame + 5)],
    ['arithmetic coding (SOF9)', (b: Buffer, frame: number) => b.fill(0xc9, frame + 1, frame + 2)],
    ['lossless (SOF3)', (b: Buffer, frame: number) => b.fill(0xc3, frame + 1, frame + 2)],
    ['a height left to a DNL marker', (b: Buffer, frame: number) => b.fill(0, frame + 5, frame + 7)],
    ['a header cut off before the frame', (b: Buffer, frame: number) => b.subarray(0, frame + 3)],
  ])('leaves %s to libvips (undefined)', async (_, edit) => {
    const bytes = Buffer.from(await gradient(20, 10).jpeg().toBuffer());
    expect(readJpegHeader(bytes)).toBeDefined();
    expect(readJpegHeader(edit(bytes, frameMarkerAt(bytes)))).toBeUndefined();
  });

  it('reads no other format', async () => {
    expect(readJpegHeader(await gradient(8, 8).png().toBuffer())).toBeUndefined();
    expect(readJpegHeader(Buffer.from([0xff, 0xd8]))).toBeUndefined();
    expect(readJpegHeader(Buffer.alloc(0))).toBeUndefined();
  });
});
