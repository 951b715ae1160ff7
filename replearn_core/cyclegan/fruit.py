"""``fruit``: a built-in, offline set of procedurally drawn apples (domain A) and oranges (domain B).

Each image is one fruit on a table in front of a wall. Both domains share the
same scene statistics (position, size, lighting, backgrounds, sometimes a leaf)
and differ in what CycleGAN must learn to change:

- apples: red, dark red or green-yellow skin with vertical streaks, a broad
  top with a dimple, a brown stem;
- oranges: orange skin with a pitted peel texture, a rounder outline, a small
  green navel instead of a stem.

Shading is Lambertian from a light at the upper left plus a specular highlight,
computed from the normal of a sphere. Images are drawn at 2× and averaged down
for smooth edges (at 256 px, at 1×). Generation is tensor operations, seeded,
about a second for 200 images at 64 px.
"""

from __future__ import annotations


import torch
import torch.nn.functional as F

SPLIT_SIZES = {"train": 400, "test": 24}  # images per domain
SPLIT_SEEDS = {"train": 2024, "test": 7}
_CHUNK = 32


def make_fruit(kind: str, n: int, image_size: int = 64, seed: int = 0) -> torch.Tensor:
    """Draw n apples (kind "apple") or oranges (kind "orange") as (n, 3, S, S) uint8.

    Images are drawn in chunks of 32, each chunk seeded on its own, so the first
    k images are the same whatever n is (a run that uses 50 images draws only those).
    """
    if kind not in ("apple", "orange"):
        raise ValueError(f"kind must be 'apple' or 'orange', got {kind!r}")
    chunks = []
    for start in range(0, n, _CHUNK):
        g = torch.Generator().manual_seed(seed * 100_003 + start * 2 + (kind == "orange"))
        chunks.append(_draw(kind, min(_CHUNK, n - start), image_size, g))
    return torch.cat(chunks) if chunks else torch.zeros((0, 3, image_size, image_size), dtype=torch.uint8)


def load_fruit(split: str, image_size: int = 64, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The (apples, oranges) of a split ("train" or "test"), each (N, 3, S, S) uint8; at most limit of each."""
    n, seed = SPLIT_SIZES[split], SPLIT_SEEDS[split]
    n = min(n, limit) if limit else n
    return make_fruit("apple", n, image_size, seed), make_fruit("orange", n, image_size, seed)


def _noise(n: int, grid: int, size: int, g: torch.Generator) -> torch.Tensor:
    """Smooth value noise in [0, 1]: a random grid×grid field, bicubically upsampled. (n, size, size)."""
    field = torch.rand(n, 1, grid, grid, generator=g)
    return F.interpolate(field, size=(size, size), mode="bicubic", align_corners=False)[:, 0].clamp(0, 1)


def _draw(kind: str, n: int, image_size: int, g: torch.Generator) -> torch.Tensor:
    scale = 2 if image_size <= 128 else 1
    s = image_size * scale
    axis = torch.linspace(-1, 1, s)
    v, u = torch.meshgrid(axis, axis, indexing="ij")  # (s, s) each, v points down

    def rand(*shape, lo=0.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=g)

    # --- background: a wall above a table edge, both with soft texture -----------------
    horizon = rand(n, 1, 1, lo=0.1, hi=0.55)
    wall = rand(n, 3, 1, 1, lo=0.35, hi=0.9)
    table = rand(n, 3, 1, 1, lo=0.2, hi=0.75)
    # a few backgrounds are tinted wood or cloth
    wood = torch.tensor([0.55, 0.38, 0.22]).view(1, 3, 1, 1)
    table = torch.where(rand(n, 1, 1, 1) < 0.35, wood * rand(n, 1, 1, 1, lo=0.7, hi=1.2), table)
    on_table = (v.unsqueeze(0) > horizon).unsqueeze(1)  # (n, 1, s, s)
    background = torch.where(on_table, table, wall)
    grain = _noise(n, 12, s, g).unsqueeze(1)
    background = background * (0.85 + 0.3 * grain) * (1.0 - 0.25 * (v + 1) / 2 * on_table)
    # --- the fruit: pose and outline --------------------------------------------------
    cx, cy = rand(n, 1, 1, lo=-0.18, hi=0.18), rand(n, 1, 1, lo=-0.05, hi=0.2)
    r = rand(n, 1, 1, lo=0.5, hi=0.72)
    x, y = (u - cx) / r, (v - cy) / r  # (n, s, s) in units of the radius
    if kind == "apple":
        # broader shoulders, narrower base, a dimple at the top where the stem sits
        half_width = 1.0 - 0.12 * y
        squash = rand(n, 1, 1, lo=0.85, hi=0.95)
        d2 = (x / half_width) ** 2 + (y / squash) ** 2
        dimple = 0.22 * torch.exp(-(x / 0.22) ** 2) * (y < 0)
        inside = (d2 < 1.0) & ~((y / squash < -1.0 + dimple + 0.02) & (x.abs() < 0.35))
    else:
        squash = rand(n, 1, 1, lo=0.93, hi=1.0)
        d2 = x ** 2 + (y / squash) ** 2
        inside = d2 < 1.0
    # --- shading from the normal of a sphere ------------------------------------------
    nz = (1.0 - d2.clamp(max=1.0)).sqrt()
    light = torch.tensor([-0.45, -0.55, 0.7])
    light = light / light.norm()
    lambert = (light[0] * x + light[1] * y + light[2] * nz).clamp(min=0)
    shade = 0.3 + 0.8 * lambert  # (n, s, s)
    spec_power = 25.0 if kind == "apple" else 10.0
    specular = (lambert ** spec_power) * (0.55 if kind == "apple" else 0.25)
    # --- skin colour and texture --------------------------------------------------------
    if kind == "apple":
        red = torch.stack([rand(n, lo=0.65, hi=0.9), rand(n, lo=0.03, hi=0.15), rand(n, lo=0.05, hi=0.15)], 1)
        yellow_green = torch.stack([rand(n, lo=0.55, hi=0.8), rand(n, lo=0.65, hi=0.85),
                                    rand(n, lo=0.1, hi=0.25)], 1)
        base = torch.where(rand(n, 1) < 0.2, yellow_green, red).view(n, 3, 1, 1)
        blush = _noise(n, 4, s, g).unsqueeze(1)  # patches of a second colour
        angle = torch.atan2(x, 1.0 + y * 0.3)
        streaks = 0.5 + 0.5 * torch.sin(angle * rand(n, 1, 1, lo=18, hi=30) + 3 * _noise(n, 6, s, g))
        second = torch.where(base[:, 1:2] > 0.5, torch.tensor([0.8, 0.3, 0.1]).view(1, 3, 1, 1),
                             torch.tensor([0.9, 0.75, 0.25]).view(1, 3, 1, 1))
        mix = (0.45 * blush * (y.unsqueeze(1) + 1) / 2).clamp(0, 1)
        skin = base * (1 - mix) + second * mix
        skin = skin * (0.88 + 0.14 * streaks.unsqueeze(1))
    else:
        base = torch.stack([rand(n, lo=0.9, hi=1.0), rand(n, lo=0.45, hi=0.62), rand(n, lo=0.0, hi=0.08)], 1)
        skin = base.view(n, 3, 1, 1) * (0.9 + 0.12 * _noise(n, 5, s, g).unsqueeze(1))
        pores = _noise(n, max(8, s // 3), s, g).unsqueeze(1)  # the pitted peel
        skin = skin * (0.8 + 0.25 * pores)
    fruit = (skin * shade.unsqueeze(1) + specular.unsqueeze(1)).clamp(0, 1)
    # soft contact shadow under the fruit
    shadow = torch.exp(-(((u - cx) / (r * 1.1)) ** 2) - (((v - cy - r * 0.95) / (r * 0.18)) ** 2))
    background = background * (1 - 0.45 * shadow.unsqueeze(1) * on_table)
    image = torch.where(inside.unsqueeze(1), fruit, background)
    # --- stem (apple) or navel (orange), and sometimes a leaf --------------------------
    top_y = -squash if kind == "orange" else -squash * (1.0 - 0.2)
    if kind == "apple":
        tilt = rand(n, 1, 1, lo=-0.25, hi=0.25)
        stem_y = y - top_y
        stem = (stem_y < 0.05) & (stem_y > -0.4) & ((x - tilt * stem_y).abs() < 0.045)
        stem_colour = torch.tensor([0.35, 0.22, 0.1]).view(1, 3, 1, 1)
        image = torch.where(stem.unsqueeze(1), stem_colour * (0.8 + 0.4 * rand(n, 1, 1, 1)), image)
    else:
        navel = (x ** 2 + (y - top_y - 0.08) ** 2) < 0.06 ** 2
        image = torch.where(navel.unsqueeze(1), torch.tensor([0.35, 0.4, 0.1]).view(1, 3, 1, 1), image)
    leaf_angle = rand(n, 1, 1, lo=0.2, hi=0.9) * torch.where(rand(n, 1, 1) < 0.5, -1.0, 1.0)
    lx, ly = x - 0.3 * torch.sign(leaf_angle), y - (top_y - 0.12)
    ca, sa = torch.cos(leaf_angle), torch.sin(leaf_angle)
    along, across = lx * ca + ly * sa, -lx * sa + ly * ca
    leaf = ((along / 0.32) ** 2 + (across / 0.12) ** 2 < 1.0) & (rand(n, 1, 1) < 0.45)
    leaf_colour = torch.tensor([0.2, 0.5, 0.15]).view(1, 3, 1, 1) * (0.7 + 0.5 * rand(n, 1, 1, 1))
    vein = (across.abs() < 0.015).unsqueeze(1)
    image = torch.where(leaf.unsqueeze(1), torch.where(vein, leaf_colour * 1.3, leaf_colour), image)
    # --- camera: slight grain, downsample ------------------------------------------------
    image = image + 0.02 * torch.randn(image.shape, generator=g)
    if scale > 1:
        image = F.avg_pool2d(image, scale)  # (n, 3, S, S)
    return (image.clamp(0, 1) * 255).round().to(torch.uint8)
