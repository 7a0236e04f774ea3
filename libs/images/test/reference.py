"""Reference pixel tensors computed the way Hugging Face's SiglipImageProcessor does, with Pillow.

Usage: /usr/bin/python3 reference.py CONFIG_JSON OUT_DIR IMAGE...
  CONFIG_JSON  a preprocessor_config.json (size, resample, rescale_factor, image_mean, image_std, do_*)
  writes OUT_DIR/<image file name>.f32: float32 CHW (3 x height x width), little-endian.

The steps mirror transformers: `load_image` (Image.open, ImageOps.exif_transpose, convert("RGB")),
then `resize` (PIL resize to (width, height) with the configured resample on uint8), `rescale`
(float64 multiply, cast to float32) and `normalize` ((x - mean) / std), channels first.
One deliberate difference, shared with the TypeScript side: 16-bit greyscale images (Pillow mode
"I") are reduced to 8 bits by their high byte, as Pillow already does for 16-bit RGB; Pillow's own
I -> RGB conversion clips every value above 255 and turns such photos white.
"""
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps


def load_image(path):
    image = Image.open(path)
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I", "I;16", "I;16B"):
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8), "L")
    return image.convert("RGB")


def preprocess(path, config):
    pixels = np.asarray(load_image(path))
    if config.get("do_resize", True):
        size = config["size"]
        resized = Image.fromarray(pixels).resize((size["width"], size["height"]), resample=config.get("resample", 3))
        pixels = np.asarray(resized)
    values = pixels.astype(np.float32)
    if config.get("do_rescale", True):
        values = (pixels.astype(np.float64) * config.get("rescale_factor", 1 / 255)).astype(np.float32)
    if config.get("do_normalize", True):
        mean = np.array(config["image_mean"], dtype=np.float32)
        std = np.array(config["image_std"], dtype=np.float32)
        values = (values - mean) / std
    return np.ascontiguousarray(values.transpose(2, 0, 1), dtype="<f4")


def main(config_path, out_dir, images):
    config = json.loads(Path(config_path).read_text())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for image in images:
        (out / (Path(image).name + ".f32")).write_bytes(preprocess(image, config).tobytes())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
