"""``shapes``: a built-in dataset of procedurally drawn shapes.

Ten shape classes drawn at random size, position and tilt on a plain coloured
background. Colours come from ten shared palettes, each image's turned round the
colour wheel by a random angle and lit at its own level: colour, light and position
vary far more than shape, so raw-pixel nearest neighbours do poorly (kNN 0.25) and
what a method learns shows, while no colour is unique to an image, so two views of
it cannot be matched by colour alone once the hue augmentation has turned them.
Backgrounds are plain on purpose: a patterned background (gradients, blobs) is
unique to its image and shared by every crop of it, and contrastive methods learned
to match views by the pattern instead of the shape (measured: kNN 0.50 with patterns,
0.68 without, same run). The images are drawn at 2× and averaged down for smooth
edges; the whole split is computed as tensor operations, so generating it takes
about a second.
"""

from __future__ import annotations

import math
import uuid

import torch
import torch.nn.functional as F

from replearn_core.data.base import ImageDataset

CLASS_NAMES = ["circle", "ring", "triangle", "square", "frame",
               "star", "cross", "crescent", "heart", "semicircle"]
SPLIT_SIZES = {"train": 5000, "test": 1000}
SPLIT_SEEDS = {"train": 1234, "test": 98765}
_CHUNK = 1000
_VERSION = 8  # bump when the drawing changes, so that caches are redrawn
CENTRE = 0.45  # the shape's centre lies within ±CENTRE of the image's centre (fractions of half the image)
RADIUS = (0.45, 0.8)  # shape radius as a fraction of half the image
MAX_TILT = math.radians(30)  # largest lean of a shape from upright
# colours come from a few shared palettes (background, shape), not one random pair per image: with a
# unique colour pair per image, two views of an image are matched by their colours and contrastive
# methods learn colour, not shape (measured: nearest neighbours shared colours, kNN stuck near 0.25).
# Shared palettes keep colour dominant in the raw pixels, but useless for telling images apart.
PALETTES = 10
PALETTE_JITTER = 0.06  # how far an image's colours stray from its palette's
_PALETTE_SEED = 4242
BRIGHTNESS = (0.6, 1.0)  # each image's light level, a factor drawn from this range
HUE_SPREAD = 1.0  # each image's palette is turned round the colour wheel by up to ±180°·HUE_SPREAD


def make_shapes(n: int, image_size: int = 32, seed: int = 0, name: str = "shapes") -> ImageDataset:
    """Draw n images (classes balanced, order shuffled) of image_size×image_size pixels."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % len(CLASS_NAMES)
    labels = labels[torch.randperm(n, generator=g)]
    chunks = [_draw(labels[i:i + _CHUNK], image_size, g) for i in range(0, n, _CHUNK)]
    images = torch.cat(chunks) if chunks else torch.zeros((0, 3, image_size, image_size), dtype=torch.uint8)
    return ImageDataset(name, images, labels.long(), list(CLASS_NAMES))


def load_shapes(split: str, image_size: int = 32) -> ImageDataset:
    """A split of the built-in set, drawn once and then read from the data folder's cache."""
    from safetensors.torch import load_file, save_file

    from replearn_core.paths import subdir

    path = subdir("cache") / f"shapes_v{_VERSION}_{split}_{image_size}.safetensors"
    if path.exists():
        try:
            saved = load_file(str(path))
            return ImageDataset("shapes", saved["images"], saved["labels"], list(CLASS_NAMES))
        except Exception:  # noqa: BLE001 - a damaged cache is simply drawn again
            path.unlink(missing_ok=True)
    data = make_shapes(SPLIT_SIZES[split], image_size, SPLIT_SEEDS[split])
    # a temporary file of this call's own: the page's preview and the warm worker (or two sessions of the server)
    # draw a fresh data folder's set at the same moment, and must not write into one another's file
    tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
    save_file({"images": data.images, "labels": data.labels}, str(tmp))
    tmp.replace(path)
    return data


def _draw(labels: torch.Tensor, image_size: int, g: torch.Generator) -> torch.Tensor:
    n, size = len(labels), image_size
    s = 2 * size  # the shape's mask is drawn at 2x and averaged down: smooth edges for little cost
    fine = torch.linspace(-1, 1, s)
    v, u = torch.meshgrid(fine, fine, indexing="ij")  # (s, s) each, v points down

    def rand(*shape, lo=0.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=g)

    # shape pose: centre, radius, rotation; local coordinates in units of the radius
    cx, cy = rand(n, 1, 1, lo=-CENTRE, hi=CENTRE), rand(n, 1, 1, lo=-CENTRE, hi=CENTRE)
    radius = rand(n, 1, 1, lo=RADIUS[0], hi=RADIUS[1])
    # shapes lean at most MAX_TILT either way: they keep an upright pose, so predicting a
    # 90-degree rotation (the rotation method's pretext task) is a question with an answer
    theta = rand(n, 1, 1, lo=-MAX_TILT, hi=MAX_TILT)
    du, dv = (u - cx) / radius, (v - cy) / radius  # (n, s, s)
    cos, sin = torch.cos(theta), torch.sin(theta)
    x, y = du * cos + dv * sin, -du * sin + dv * cos
    mask = torch.zeros(n, s, s, dtype=torch.bool)
    for c in range(len(CLASS_NAMES)):
        sel = labels == c
        if sel.any():
            mask[sel] = _shape_mask(c, x[sel], y[sel])
    alpha = F.avg_pool2d(mask.unsqueeze(1).float(), 2)  # (n, 1, size, size) coverage of each pixel

    # background: one palette colour; foreground: the palette's shape colour, lightly textured
    bg_palette, fg_palette = _palettes()
    palette = torch.randint(0, len(bg_palette), (n,), generator=g)

    def near(colours):
        return (colours[palette] + rand(n, 3, 1, 1, lo=-PALETTE_JITTER, hi=PALETTE_JITTER)).clamp(0, 1)

    background = near(bg_palette) if PALETTES else rand(n, 3, 1, 1)
    fg = near(fg_palette) if PALETTES else torch.remainder(background + rand(n, 3, 1, 1, lo=0.3, hi=0.7), 1.0)
    noise = torch.randn(n, 3, size, size, generator=g)
    img = background + alpha * (fg - background + 0.05 * noise) + 0.02 * noise.roll(1, 0)  # plus sensor noise
    img = img * rand(n, 1, 1, 1, lo=BRIGHTNESS[0], hi=BRIGHTNESS[1])
    if HUE_SPREAD:
        from replearn_core.augment import rotate_hue

        img = rotate_hue(img.clamp(0, 1), rand(n, lo=-math.pi, hi=math.pi) * HUE_SPREAD)
    return img.clamp_(0, 1).mul_(255).round_().to(torch.uint8)


def _palettes() -> tuple[torch.Tensor, torch.Tensor]:
    """PALETTES (background, shape) colour pairs, (P, 3, 1, 1) each; the shape's colour is kept away
    from the background's in every channel sum, so that every shape stands out."""
    g = torch.Generator().manual_seed(_PALETTE_SEED)
    if not PALETTES:
        return torch.zeros(1, 3, 1, 1), torch.zeros(1, 3, 1, 1)
    bg = torch.rand(PALETTES, 3, 1, 1, generator=g)
    fg = torch.remainder(bg + 0.3 + 0.4 * torch.rand(PALETTES, 3, 1, 1, generator=g), 1.0)
    return bg, fg


def _polygon(x, y, sides: int, r: float = 0.95):
    rho, phi = torch.sqrt(x ** 2 + y ** 2), torch.atan2(y, x) + math.pi / 2
    sector = 2 * math.pi / sides
    return rho * torch.cos(torch.remainder(phi, sector) - sector / 2) <= r * math.cos(math.pi / sides)


def _shape_mask(c: int, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    rho = torch.sqrt(x ** 2 + y ** 2)
    name = CLASS_NAMES[c]
    if name == "circle":
        return rho <= 0.9
    if name == "ring":
        return (rho <= 0.95) & (rho >= 0.55)
    if name == "triangle":
        return _polygon(x, y + 0.15, 3, 0.75)
    if name == "square":
        return _polygon(x, y, 4, 0.8)
    if name == "frame":
        box = torch.maximum(x.abs(), y.abs())
        return (box <= 0.8) & (box >= 0.45)
    if name == "star":
        t = torch.remainder(torch.atan2(y, x) + math.pi / 2, 2 * math.pi / 5) / (2 * math.pi / 5)
        return rho <= 0.4 + 0.6 * (2 * t - 1).abs()
    if name == "cross":
        return ((x.abs() <= 0.28) & (y.abs() <= 0.95)) | ((y.abs() <= 0.28) & (x.abs() <= 0.95))
    if name == "crescent":
        return (rho <= 0.9) & (((x - 0.45) ** 2 + y ** 2) > 0.7 ** 2)
    if name == "heart":
        hx, hy = 1.25 * x, -1.25 * y + 0.25
        return (hx ** 2 + hy ** 2 - 1) ** 3 - hx ** 2 * hy ** 3 <= 0
    if name == "semicircle":
        return ((x ** 2 + (y - 0.35) ** 2) <= 0.95 ** 2) & (y <= 0.35)
    raise ValueError(f"unknown shape class {c}")
