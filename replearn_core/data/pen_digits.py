"""``pen-digits``: digits drawn as pen strokes, a second target domain for printed → handwritten adaptation.

Each digit is a few strokes (polylines and arcs on a unit square) whose points are jittered,
then the whole drawing is rotated, sheared, scaled and shifted at random and drawn with a pen
of random width in dark ink on light, slightly tinted paper. It is another style of "handwriting"
than scikit-learn's ``digits`` (white on black, 8×8 pixels): thin strokes, sharp, dark on light.
Built in and offline; the drawing is seeded, so every machine draws the same images.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from replearn_core.data.base import ImageDataset, resize_uint8

CLASS_NAMES = [str(d) for d in range(10)]
SPLIT_SIZES = {"train": 3000, "test": 1000}  # images per split, balanced over the 10 digits
SPLIT_SEEDS = {"train": 10, "test": 11}
CANVAS = 48  # drawn at this size, then resized to the asked image size
JITTER = 0.035  # standard deviation of each stroke point's displacement, in units of the digit's size


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 12) -> list:
    """Points of an elliptical arc from angle start to end (degrees, 0 = right, 90 = down in image coordinates)."""
    angles = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# strokes of each digit on a unit square (x right, y down); a stroke is a list of (x, y) points
STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.28, 0.4, 0, 360, 20)],
    1: [[(0.32, 0.28), (0.52, 0.1), (0.52, 0.9)]],
    2: [_arc(0.5, 0.32, 0.27, 0.22, 200, 380, 10) + [(0.22, 0.9), (0.8, 0.9)]],
    3: [_arc(0.48, 0.3, 0.26, 0.2, 200, 450, 10) + _arc(0.48, 0.7, 0.29, 0.2, 270, 520, 10)],
    4: [[(0.62, 0.9), (0.62, 0.1), (0.18, 0.64), (0.84, 0.64)]],
    5: [[(0.76, 0.1), (0.32, 0.1), (0.28, 0.45)] + _arc(0.48, 0.66, 0.28, 0.24, 235, 480, 12)],
    6: [[(0.7, 0.12), (0.45, 0.25), (0.27, 0.55)] + _arc(0.5, 0.68, 0.24, 0.22, 180, 540, 16)],
    7: [[(0.2, 0.1), (0.8, 0.1), (0.42, 0.9)]],
    8: [_arc(0.5, 0.29, 0.21, 0.19, 0, 360, 14), _arc(0.5, 0.7, 0.26, 0.21, 0, 360, 16)],
    9: [_arc(0.5, 0.32, 0.24, 0.22, 0, 360, 16) + [(0.73, 0.45), (0.62, 0.9)]],
}


def _draw_digit(digit: int, rng: np.random.Generator) -> np.ndarray:
    """One (CANVAS, CANVAS, 3) uint8 image of a digit drawn with a pen."""
    from PIL import Image, ImageDraw

    # a random affine map of the unit square: scale, rotation, shear, shift
    scale = rng.uniform(0.6, 0.85) * CANVAS
    angle = math.radians(rng.uniform(-15, 15))
    shear = rng.uniform(-0.3, 0.3)
    centre = CANVAS / 2 + rng.uniform(-3, 3, 2)
    cos, sin = math.cos(angle), math.sin(angle)
    paper = np.clip(rng.uniform(200, 255) + rng.uniform(-20, 20, 3), 0, 255)  # light, slightly tinted
    ink = np.clip(rng.uniform(0, 90) + rng.uniform(-30, 30, 3), 0, 255)  # dark: black, blue or brown-ish pens
    canvas = Image.new("RGB", (CANVAS, CANVAS), tuple(int(v) for v in paper))
    draw = ImageDraw.Draw(canvas)
    width = int(rng.integers(2, 6))
    for stroke in STROKES[digit]:
        points = np.asarray(stroke) - 0.5 + rng.normal(0, JITTER, (len(stroke), 2))  # (n, 2), centred
        x, y = points[:, 0] + shear * points[:, 1], points[:, 1]
        xy = np.stack([cos * x - sin * y, sin * x + cos * y], 1) * scale + centre  # (n, 2) pixels
        draw.line([tuple(p) for p in xy], fill=tuple(int(v) for v in ink), width=width, joint="curve")
    image = np.asarray(canvas, dtype=np.float32) + rng.normal(0, 4, (CANVAS, CANVAS, 3))  # paper grain
    return np.clip(image, 0, 255).astype(np.uint8)


@lru_cache(maxsize=3)
def _draw_split(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    n = SPLIT_SIZES[split]
    rng = np.random.default_rng(SPLIT_SEEDS[split])
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = np.stack([_draw_digit(int(d), rng) for d in labels])  # (N, C, C, 3)
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels).long()  # (N, 3, C, C)


def load_pen_digits(split: str, image_size: int = 32) -> ImageDataset:
    splits = ["train", "test"] if split == "all" else [split]
    parts = [_draw_split(s) for s in splits]
    images = resize_uint8(torch.cat([p[0] for p in parts]), image_size)
    return ImageDataset("pen-digits", images, torch.cat([p[1] for p in parts]), list(CLASS_NAMES))
