"""Writes the preprocessing parity fixtures into a directory (run with Debian's /usr/bin/python3).

Usage: /usr/bin/python3 make_fixtures.py OUT_DIR

Every image is synthesized with a fixed seed so the files are the same on every run: photo-like
content (smooth gradients, soft shapes, fine noise and hard edges) exercises the resampling kernel
the way real product photos do. Nothing is committed; tests call this into a temp directory.
"""
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ORIENTATION_TAG = 0x0112


def photo_like(width, height, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    base = np.stack(
        [
            128 + 90 * np.sin(x / (width / 3.1) + seed),
            128 + 80 * np.cos(y / (height / 2.3) - seed),
            128 + 70 * np.sin((x + y) / ((width + height) / 5.7)),
        ],
        axis=-1,
    )
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(min(width, height) // 12, min(width, height) // 3))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x0 + size, y0 + size], fill=colour)
        else:
            draw.rectangle([x0, y0, x0 + size, y0 + size // 2], fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    draw = ImageDraw.Draw(image)
    for i in range(0, width, max(4, width // 40)):
        draw.line([i, 0, i + height // 4, height // 6], fill=(20, 20, 20), width=1)
    noisy = np.asarray(image, dtype=np.int16) + rng.normal(0, 6, (height, width, 3)).astype(np.int16)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def write_png16(path, pixels):
    """PIL cannot write 16-bit RGB PNGs, so this writes one by hand (big-endian samples, filter 0)."""
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    colour_type = {1: 0, 3: 2}[channels]
    rows = pixels.astype(">u2").reshape(height, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    Path(path).write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    )


def with_orientation(image, orientation):
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    return exif.tobytes()


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    photo = photo_like(320, 240, 1)

    photo.save(out / "photo.jpg", quality=90)
    photo_like(1000, 1000, 2).save(out / "large.jpg", quality=90)
    # Stored sideways / upside down; the orientation tag says how to show them.
    photo.save(out / "exif6.jpg", quality=90, exif=with_orientation(photo, 6))
    photo.save(out / "exif3.jpg", quality=90, exif=with_orientation(photo, 3))
    photo.convert("CMYK").save(out / "cmyk.jpg", quality=90)
    photo.convert("L").save(out / "gray.jpg", quality=90)

    palette = photo.quantize(64)
    palette.info["transparency"] = 0
    palette.save(out / "palette.png", transparency=0)

    rgba = np.dstack([np.asarray(photo), np.zeros((240, 320), np.uint8)])
    # Alpha ramps left to right; the left quarter is fully transparent but keeps its colours.
    rgba[..., 3] = np.clip(np.linspace(-80, 255, 320), 0, 255).astype(np.uint8)[None, :]
    Image.fromarray(rgba, "RGBA").save(out / "rgba.png")

    rgb = np.asarray(photo).astype(np.uint16)
    rng = np.random.default_rng(3)
    low_bits = rng.integers(0, 256, rgb.shape, dtype=np.uint16)
    write_png16(out / "rgb16.png", rgb * 256 + low_bits)
    gray = np.asarray(photo.convert("L")).astype(np.uint16)
    write_png16(out / "gray16.png", gray * 256 + low_bits[..., 0])

    photo.save(out / "photo.webp", quality=90)
    photo.quantize(256).save(out / "photo.gif")
    photo.save(out / "photo.tiff")
    photo_like(240, 320, 4).save(out / "portrait.png")


if __name__ == "__main__":
    main(sys.argv[1])
