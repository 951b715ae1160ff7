"""``printed-digits``: digits drawn from fonts, the built-in source domain for domain adaptation.

Each image is one digit 0-9 drawn with a random font, size, position, slant
(a shear), ink and paper colour, plus Gaussian pixel noise. Paired with the
handwritten ``digits`` of scikit-learn as the target, it gives an offline
domain shift with the same ten classes: printed → handwritten.

Fonts: every TrueType/OpenType font found in the usual system folders
(on Debian/Ubuntu the packages ``fonts-dejavu-core`` and ``fonts-liberation``),
plus Pillow's own scalable default font (Pillow ≥ 10.1 with FreeType). With
neither, Pillow's small bitmap font is scaled up, and the dataset's notes say so.
The images depend on the fonts installed, so two machines may draw different sets.
"""

from __future__ import annotations

import glob
import os
from functools import lru_cache

import numpy as np
import torch

from replearn_core.data.base import ImageDataset, resize_uint8

CLASS_NAMES = [str(d) for d in range(10)]
SPLIT_SIZES = {"train": 3000, "test": 1000}  # images per split, balanced over the 10 digits
CANVAS = 48  # drawn at this size, then resized to the asked image size
FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"),
             os.path.expanduser("~/.local/share/fonts"), "/Library/Fonts", "/System/Library/Fonts",
             "C:/Windows/Fonts"]
MAX_FONTS = 32


@lru_cache(maxsize=1)
def font_sources() -> tuple[list, list[str]]:
    """(font sources, notes): file paths of usable system fonts, or "default" for Pillow's own font."""
    from PIL import ImageFont

    paths = []
    for folder in FONT_DIRS:
        for pattern in ("**/*.ttf", "**/*.otf", "**/*.TTF"):
            paths.extend(glob.glob(os.path.join(folder, pattern), recursive=True))
    usable = []
    for path in sorted(set(paths)):
        name = os.path.basename(path).lower()
        if any(bad in name for bad in ("symbol", "emoji", "math", "dingbat", "wingding", "icon")):
            continue
        try:
            font = ImageFont.truetype(path, 24)
            left, top, right, bottom = font.getbbox("0123456789")
            if right - left > 20 and bottom - top > 8:
                usable.append(path)
        except (OSError, ValueError):
            continue
        if len(usable) >= MAX_FONTS:
            break
    notes = []
    try:
        ImageFont.load_default(size=24)
        usable.append("default")
    except (TypeError, ImportError, OSError):
        if not usable:
            notes.append("printed-digits: no scalable font found (install fonts-dejavu-core); "
                         "using Pillow's small bitmap font, scaled up.")
            usable.append("bitmap")
    return usable, notes


def _font(source: str, size: int):
    from PIL import ImageFont

    if source == "default":
        return ImageFont.load_default(size=size)
    if source == "bitmap":
        return ImageFont.load_default()
    return ImageFont.truetype(source, size)


def _draw_digit(digit: int, rng: np.random.Generator, sources: list) -> np.ndarray:
    """One (CANVAS, CANVAS, 3) uint8 image of a digit."""
    from PIL import Image, ImageDraw

    source = sources[rng.integers(len(sources))]
    size = int(rng.integers(32, 48))
    font = _font(source, size)
    # ink and paper differ in brightness by at least 110 grey levels, either polarity
    paper = rng.integers(0, 256, 3)
    ink = rng.integers(0, 256, 3)
    while abs(int(ink.mean()) - int(paper.mean())) < 110:
        ink = rng.integers(0, 256, 3)
    glyph = Image.new("L", (CANVAS * 2, CANVAS * 2), 0)
    draw = ImageDraw.Draw(glyph)
    left, top, right, bottom = draw.textbbox((0, 0), str(digit), font=font)
    draw.text((CANVAS - (left + right) / 2, CANVAS - (top + bottom) / 2), str(digit), fill=255, font=font)
    if source == "bitmap":
        glyph = glyph.resize((CANVAS * 6, CANVAS * 6), Image.NEAREST).crop(
            (CANVAS * 2, CANVAS * 2, CANVAS * 4, CANVAS * 4))
    # slant: shear around the centre, then a small shift
    shear = float(rng.uniform(-0.35, 0.35))
    dx, dy = rng.uniform(-4, 4, 2)
    glyph = glyph.transform(glyph.size, Image.AFFINE, (1, shear, -shear * CANVAS - dx, 0, 1, -dy),
                            resample=Image.BILINEAR)
    glyph = glyph.crop((CANVAS // 2, CANVAS // 2, CANVAS // 2 + CANVAS, CANVAS // 2 + CANVAS))
    alpha = np.asarray(glyph, dtype=np.float32)[..., None] / 255.0  # (C, C, 1)
    image = paper[None, None, :] * (1 - alpha) + ink[None, None, :] * alpha
    image = image + rng.normal(0, rng.uniform(0, 15), image.shape)  # sensor noise
    return np.clip(image, 0, 255).astype(np.uint8)


@lru_cache(maxsize=3)
def _draw_split(split: str) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    sources, notes = font_sources()
    n = SPLIT_SIZES[split]
    rng = np.random.default_rng({"train": 0, "test": 1}[split])
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = np.stack([_draw_digit(int(d), rng, sources) for d in labels])  # (N, C, C, 3)
    tensor = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()  # (N, 3, C, C)
    return tensor, torch.from_numpy(labels).long(), tuple(notes)


def load_printed_digits(split: str, image_size: int = 32) -> ImageDataset:
    splits = ["train", "test"] if split == "all" else [split]
    parts = [_draw_split(s) for s in splits]
    images = resize_uint8(torch.cat([p[0] for p in parts]), image_size)
    labels = torch.cat([p[1] for p in parts])
    return ImageDataset("printed-digits", images, labels, list(CLASS_NAMES), list(parts[0][2]))
