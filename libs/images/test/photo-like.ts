import sharp from 'sharp';

/**
 * Test/bench-only: photo-like images without downloads. Each is a seeded scene (sky and ground
 * gradients, a horizon, objects with soft shading and highlights) textured with fractal noise
 * (feTurbulence, like foliage, fabric or stone), lightly blurred as a lens would and with sensor
 * noise on top, so it has the mix of smooth areas, edges and fine texture that decoders and
 * resamplers meet in product photos. Synthetic gradients alone would hide resampling differences.
 */
export interface PhotoLikeOptions {
  width: number;
  height: number;
  seed: number;
}

function rng(seed: number): () => number {
  let state = (seed * 2654435761) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const hsl = (h: number, s: number, l: number) => `hsl(${Math.round(h)},${Math.round(s)}%,${Math.round(l)}%)`;

function sceneSvg({ width, height, seed }: PhotoLikeOptions): string {
  const random = rng(seed);
  const hue = random() * 360;
  const horizon = height * (0.35 + random() * 0.3);
  const objects = Array.from({ length: 3 + Math.floor(random() * 5) }, (_, i) => {
    const cx = random() * width;
    const cy = horizon + (random() - 0.3) * height * 0.5;
    const rx = width * (0.05 + random() * 0.2);
    const ry = rx * (0.5 + random());
    const h = (hue + 60 + random() * 240) % 360;
    return `<radialGradient id="o${i}" cx="35%" cy="30%" r="75%">
        <stop offset="0" stop-color="${hsl(h, 70, 85)}"/><stop offset="0.5" stop-color="${hsl(h, 65, 45)}"/>
        <stop offset="1" stop-color="${hsl(h, 60, 12)}"/></radialGradient>
      <ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" fill="url(#o${i})" transform="rotate(${random() * 60 - 30} ${cx} ${cy})"/>`;
  });
  const frequency = (0.01 + random() * 0.04) * (1000 / width);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs>
      <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
        <stop offset="0" stop-color="${hsl(hue, 50, 30)}"/><stop offset="1" stop-color="${hsl(hue + 20, 60, 80)}"/></linearGradient>
      <linearGradient id="ground" x1="0" y1="0" x2="1" y2="1">
        <stop offset="0" stop-color="${hsl(hue + 120, 40, 45)}"/><stop offset="1" stop-color="${hsl(hue + 160, 35, 20)}"/></linearGradient>
      <filter id="texture" x="0" y="0" width="100%" height="100%">
        <feTurbulence type="fractalNoise" baseFrequency="${frequency}" numOctaves="5" seed="${seed % 1000}"/>
        <feColorMatrix type="matrix" values="1.6 0 0 0 -0.2  0 1.6 0 0 -0.2  0 0 1.6 0 -0.2  0 0 0 0 1"/>
        <feComposite in2="SourceGraphic" operator="in"/>
        <feBlend in2="SourceGraphic" mode="multiply"/>
      </filter>
    </defs>
    <rect width="${width}" height="${horizon}" fill="url(#sky)"/>
    <rect y="${horizon}" width="${width}" height="${height - horizon}" fill="url(#ground)" filter="url(#texture)"/>
    <g filter="url(#texture)">${objects.join('')}</g>
  </svg>`;
}

/** Raw 8-bit RGB pixels of a photo-like scene. */
export async function photoLikeRgb(options: PhotoLikeOptions): Promise<Buffer> {
  const { width, height, seed } = options;
  const scene = await sharp(Buffer.from(sceneSvg(options)))
    .resize(width, height, { fit: 'fill' })
    .removeAlpha()
    .blur(0.6)
    .raw()
    .toBuffer();
  const random = rng(seed + 7);
  for (let i = 0; i < scene.length; i += 1) {
    // Sensor noise: about ±3 levels, triangular.
    const noise = Math.round((random() + random() - 1) * 3);
    scene[i] = Math.max(0, Math.min(255, scene[i] + noise));
  }
  return scene;
}

/** A photo-like JPEG (quality 85, 4:2:0 chroma, as cameras and shops usually save). */
export async function photoLikeJpeg(options: PhotoLikeOptions): Promise<Buffer> {
  const raw = await photoLikeRgb(options);
  return sharp(raw, { raw: { width: options.width, height: options.height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}
