import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';

const COLORS = ['red', 'blue', 'green', 'black', 'white', 'yellow', 'orange', 'purple', 'pink', 'brown'] as const;
const RGB: Record<(typeof COLORS)[number], [number, number, number]> = {
  red: [200, 30, 40],
  blue: [30, 60, 200],
  green: [30, 150, 60],
  black: [20, 20, 20],
  white: [235, 235, 235],
  yellow: [230, 210, 40],
  orange: [240, 130, 20],
  purple: [120, 40, 160],
  pink: [240, 150, 190],
  brown: [120, 80, 40],
};
const KINDS = ['shoe', 'dress', 'chair', 'lamp', 'bag', 'shirt', 'table', 'watch'] as const;

export interface DemoProduct {
  id: string;
  image: string;
  title: string;
  color: string;
  kind: string;
}

/** A deterministic list of demo products; every tenth one reuses an earlier image (a planted duplicate). */
export function demoProducts(count: number): DemoProduct[] {
  return Array.from({ length: count }, (_, i) => {
    const color = COLORS[i % COLORS.length];
    const kind = KINDS[Math.floor(i / COLORS.length) % KINDS.length];
    const image = i % 10 === 9 ? `p${String(i - 9).padStart(4, '0')}.jpg` : `p${String(i).padStart(4, '0')}.jpg`;
    return { id: `demo-${String(i).padStart(4, '0')}`, image, title: `${color} ${kind} #${i}`, color, kind };
  });
}

/** Draws one 384×384 product photo stand-in: a coloured shape on a gradient, JPEG-encoded. */
async function drawImage(product: DemoProduct, index: number): Promise<Buffer> {
  const [r, g, b] = RGB[product.color as (typeof COLORS)[number]];
  const shape =
    index % 3 === 0
      ? `<circle cx="192" cy="192" r="${90 + (index % 7) * 10}" fill="rgb(${r},${g},${b})"/>`
      : index % 3 === 1
        ? `<rect x="${70 + (index % 5) * 8}" y="90" width="240" height="200" rx="24" fill="rgb(${r},${g},${b})"/>`
        : `<polygon points="192,50 340,330 44,330" fill="rgb(${r},${g},${b})"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="384" height="384">
    <defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="hsl(${(index * 37) % 360},30%,85%)"/><stop offset="1" stop-color="hsl(${(index * 53) % 360},25%,60%)"/>
    </linearGradient></defs>
    <rect width="384" height="384" fill="url(#bg)"/>${shape}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 88 }).toBuffer();
}

/** Where `vectorizer demo` writes its catalog and images unless told otherwise: `<repo>/tmp/demo`. */
export function defaultDemoDirectory(repoRoot: string): string {
  return join(repoRoot, 'tmp', 'demo');
}

/**
 * Writes the images (once) and a JSONL catalog whose image_url is each image's `file://` URL: the
 * workers read them under IMAGE_FILE_ROOT=`dir`, and the API shows them without any image server
 * (`GET /api/products/:id/image`), so they load whenever `serve` runs, long after the demo exited.
 */
export async function writeDemoCatalog(dir: string, count: number): Promise<string> {
  const imageDir = join(dir, 'images');
  await mkdir(imageDir, { recursive: true });
  const products = demoProducts(count);
  await Promise.all(
    products.map(async (product, index) => {
      const path = join(imageDir, product.image);
      if (product.image !== `p${String(index).padStart(4, '0')}.jpg`) return; // a duplicate: drawn by its original
      const exists = await stat(path).then(
        () => true,
        () => false,
      );
      if (!exists) await writeFile(path, await drawImage(product, index));
    }),
  );
  const catalogPath = join(dir, 'catalog.jsonl');
  const lines = products.map((p) =>
    JSON.stringify({
      id: p.id,
      image_url: pathToFileURL(join(imageDir, p.image)).href,
      title: p.title,
      color: p.color,
      kind: p.kind,
    }),
  );
  await writeFile(catalogPath, `${lines.join('\n')}\n`);
  return catalogPath;
}
