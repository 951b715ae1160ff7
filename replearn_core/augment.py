"""Batch augmentations: a whole batch at once, on the batch's device.

Each op draws its random parameters per image and applies them with tensor
operations (one ``grid_sample`` for all crops and flips, one grouped
convolution for all blurs, masks with ``torch.where`` for the rest), so the
augmentation costs little next to the model and runs on the GPU when there is
one. Images go in as uint8 (B, 3, H, W) and come out as normalised float.

A method's *view recipe* is a list of :class:`AugSpec`, each an op name, the
probability of applying it and its strength; the page shows it as a table.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

MEAN = torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1)
STD = torch.tensor([0.25, 0.25, 0.25]).view(1, 3, 1, 1)


@dataclass
class AugSpec:
    op: str  # one of AUGMENTATIONS
    p: float = 1.0  # probability of applying the op to an image
    strength: float = 1.0  # op-specific scale, documented in AUGMENTATIONS

    def to_dict(self) -> dict:
        return asdict(self)


# what "strength" means for each op, shown as help text in the UI
AUGMENTATIONS = {
    "crop": "random resized crop; the crop keeps between (1 - 0.92·strength) and 100 % of the area",
    "flip": "horizontal flip (strength unused)",
    "color_jitter": "brightness, contrast and saturation change up to 0.8·strength, hue up to 0.2·strength "
                    "(strength 1 is SimCLR's colour distortion s = 1)",
    "hue": "rotate the hue by a random angle up to ±180°·strength (strength 1 = any hue); brightness is kept",
    "grayscale": "convert to gray (strength unused)",
    "blur": "Gaussian blur with sigma drawn from 0.1 to 2·strength pixels (scaled by image size / 32)",
    "solarize": "invert pixels brighter than 1 - 0.5·strength",
}


def default_recipe(kind: str = "contrastive", hue_turn: bool = True) -> list[AugSpec]:
    """The SimCLR-style recipe (strong) or a light one for reconstruction methods.

    ``hue_turn``: the data's classes never depend on hue (:func:`replearn_core.data.hue_free`: the drawn
    shapes). The contrastive recipe then turns every view's hue at random and crops moderately. On photos
    colour is a clue and the turn costs accuracy (SimCLR on the CIFAR-10 folder, 70 epochs: kNN 0.489 with
    it, 0.513 without), and SimCLR's own crops (down to 8 % of the area) learn the most: kNN on all 10,000
    test images after 70 epochs 0.527 at crop strength 0.6 and 0.8, 0.553 at 1.0 (docs/ssl_tests_benchmarks.md).
    """
    if kind == "light":
        return [AugSpec("crop", 1.0, 0.5), AugSpec("flip", 0.5)]
    # on the drawn shapes, moderate crops and colour changes: the SimCLR-strength recipe (crops down to
    # 8 % of the area, s = 1 colour distortion) left a small CNN too little to match in a short run.
    # The hue turn is full: colour is otherwise the easiest way to match two views of an image, and a
    # network that matches by colour learns colour, not shape (measured on shapes: kNN 0.27 -> 0.37)
    hue = [AugSpec("hue", 1.0, 1.0)] if hue_turn else []
    crop = 0.6 if hue_turn else 1.0
    return [AugSpec("crop", 1.0, crop), AugSpec("flip", 0.5), AugSpec("color_jitter", 0.8, 0.5), *hue,
            AugSpec("grayscale", 0.2), AugSpec("blur", 0.1, 0.5)]


RECIPE_FIELDS = ("op", "p", "strength")  # the keys of one recipe row (p and strength may be left out)


def recipe_from_dicts(items: list[dict]) -> list[AugSpec]:
    """Validate a recipe that came from a config file, the command line's ``--recipe`` or the UI table.

    Anything else than a list of rows, a row without its ``op``, a key that is not a row's (``prob`` for ``p``
    would otherwise be ignored in silence), a value that is not a finite number or out of range is a
    ValueError that names the row's op and what it accepts. A blank ``p`` or ``strength`` (None, a new
    table row) takes the default, 1.
    """
    from replearn_core.i18n import Message
    from replearn_core.options import require_finite

    if not isinstance(items, (list, tuple)):
        raise ValueError(Message("recipe.not_list"))
    recipe = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(Message("recipe.not_row", row=repr(item)[:60]))
        unknown = sorted(set(item) - set(RECIPE_FIELDS), key=str)
        if unknown:
            raise ValueError(Message("recipe.unknown_field", name=repr(unknown[0])[:60], fields=", ".join(RECIPE_FIELDS)))
        op = item.get("op")
        if not isinstance(op, str) or not op:
            raise ValueError(Message("recipe.no_op", known=", ".join(AUGMENTATIONS)))
        if op not in AUGMENTATIONS:
            raise ValueError(Message("recipe.unknown_op", name=repr(op)[:60], known=", ".join(AUGMENTATIONS)))
        values = {}
        for key in ("p", "strength"):
            value = item.get(key)
            try:
                if isinstance(value, bool):
                    raise TypeError
                values[key] = 1.0 if value is None else float(value)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(Message("recipe.number", op=op, key=key, value=repr(value)[:60])) from None
            require_finite(f"{op} {key}", values[key])
        spec = AugSpec(op, values["p"], values["strength"])
        if not 0.0 <= spec.p <= 1.0:
            raise ValueError(Message("recipe.p_range", op=op, value=f"{spec.p:g}"))
        if not 0.0 <= spec.strength <= 2.0:
            raise ValueError(Message("recipe.strength_range", op=op, value=f"{spec.strength:g}"))
        recipe.append(spec)
    return recipe


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 3, H, W) -> float in [0, 1]."""
    return images.float().div_(255.0)


def normalize(x: torch.Tensor) -> torch.Tensor:
    return (x - MEAN.to(x.device, x.dtype)) / STD.to(x.device, x.dtype)


def denormalize(x: torch.Tensor) -> torch.Tensor:
    return (x * STD.to(x.device, x.dtype) + MEAN.to(x.device, x.dtype)).clamp(0, 1)


def augment(images: torch.Tensor, recipe: list[AugSpec], generator: torch.Generator | None = None,
            out_size: int | None = None) -> torch.Tensor:
    """Apply a recipe to a uint8 batch; returns the normalised float batch (B, 3, S, S)."""
    x = to_float(images) if images.dtype == torch.uint8 else images.float()
    geometric = [s for s in recipe if s.op in ("crop", "flip")]
    x = _crop_and_flip(x, geometric, generator, out_size or x.shape[-1])
    for spec in recipe:
        if spec.op in ("crop", "flip"):
            continue
        apply = _rand(len(x), generator, x.device) < spec.p  # (B,) which images get the op
        if not apply.any():
            continue
        x = _OPS[spec.op](x, apply, spec.strength, generator)
    return normalize(x)


def plain(images: torch.Tensor, out_size: int | None = None) -> torch.Tensor:
    """No augmentation: the normalised image, resized if asked (for evaluation)."""
    x = to_float(images) if images.dtype == torch.uint8 else images.float()
    if out_size and out_size != x.shape[-1]:
        x = F.interpolate(x, size=(out_size, out_size), mode="bilinear", align_corners=False)
    return normalize(x)


def _rand(n, generator, device, *shape):
    return torch.rand((n, *shape), generator=generator).to(device)


def _crop_and_flip(x, specs, generator, out_size):
    b = len(x)
    scale_x = torch.ones(b)
    scale_y = torch.ones(b)
    shift_x = torch.zeros(b)
    shift_y = torch.zeros(b)
    for spec in specs:
        use = torch.rand(b, generator=generator) < spec.p
        if spec.op == "crop":
            min_area = max(0.05, 1.0 - 0.92 * spec.strength)
            area = min_area + (1 - min_area) * torch.rand(b, generator=generator)
            log_ratio = (torch.rand(b, generator=generator) * 2 - 1) * math.log(4 / 3)
            ratio = torch.exp(log_ratio)
            w = torch.sqrt(area * ratio).clamp(max=1.0)
            h = torch.sqrt(area / ratio).clamp(max=1.0)
            # centre anywhere that keeps the crop inside the image; grid units are [-1, 1]
            cx = (torch.rand(b, generator=generator) * 2 - 1) * (1 - w)
            cy = (torch.rand(b, generator=generator) * 2 - 1) * (1 - h)
            scale_x = torch.where(use, w, scale_x)
            scale_y = torch.where(use, h, scale_y)
            shift_x = torch.where(use, cx, shift_x)
            shift_y = torch.where(use, cy, shift_y)
        elif spec.op == "flip":
            scale_x = torch.where(use, -scale_x, scale_x)
    if not specs and out_size == x.shape[-1]:
        return x
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = scale_x, shift_x
    theta[:, 1, 1], theta[:, 1, 2] = scale_y, shift_y
    theta = theta.to(x.device, x.dtype)
    grid = F.affine_grid(theta, [b, 3, out_size, out_size], align_corners=False)  # (B, S, S, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def luminance(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W): the luminance (Rec. 601 weights) of an RGB batch in [0, 1]."""
    weights = torch.tensor([0.299, 0.587, 0.114], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * weights).sum(1, keepdim=True)


def _color_jitter(x, apply, strength, generator):
    b = len(x)
    m = apply.view(b, 1, 1, 1)

    def factor(amount):
        return (1 + (_rand(b, generator, x.device) * 2 - 1) * amount).view(b, 1, 1, 1).to(x.dtype)

    out = x * factor(0.8 * strength)  # brightness
    mean = luminance(out).mean((2, 3), keepdim=True)
    out = (out - mean) * factor(0.8 * strength) + mean  # contrast
    gray = luminance(out)
    out = (out - gray) * factor(0.8 * strength) + gray  # saturation
    # hue: rotate the chroma plane of YIQ space by a random angle per image
    angle = (_rand(b, generator, x.device) * 2 - 1) * min(0.5, 0.2 * strength) * 2 * math.pi
    out = rotate_hue(out.clamp(0, 1), angle.to(x.dtype))
    return torch.where(m, out.clamp(0, 1), x)


_RGB2YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def rotate_hue(x: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Turn each image's colours round the colour wheel by its angle (radians), keeping luma (YIQ)."""
    to_yiq = _RGB2YIQ.to(x.device, x.dtype)
    to_rgb = torch.linalg.inv(_RGB2YIQ).to(x.device, x.dtype)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rot = torch.zeros(len(x), 3, 3, device=x.device, dtype=x.dtype)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = cos, -sin, sin, cos
    matrix = to_rgb @ rot @ to_yiq  # (B, 3, 3): one colour transform per image
    return torch.einsum("bij,bjhw->bihw", matrix, x)


def _hue(x, apply, strength, generator):
    angle = (_rand(len(x), generator, x.device) * 2 - 1) * min(1.0, strength) * math.pi
    out = rotate_hue(x, angle.to(x.dtype)).clamp(0, 1)
    return torch.where(apply.view(-1, 1, 1, 1), out, x)


def _grayscale(x, apply, strength, generator):
    return torch.where(apply.view(-1, 1, 1, 1), luminance(x).expand_as(x), x)


def _blur(x, apply, strength, generator):
    b, c, h, w = x.shape
    scale = h / 32
    sigma = (0.1 + _rand(b, generator, x.device) * (2.0 * strength - 0.1)).clamp(min=0.1) * scale
    radius = max(1, int(math.ceil(3 * 2.0 * max(strength, 0.05) * scale)))
    radius = min(radius, h // 2 - 1) if h > 4 else 1
    offsets = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-offsets.view(1, -1) ** 2 / (2 * sigma.view(-1, 1).to(x.dtype) ** 2))
    kernel = kernel / kernel.sum(1, keepdim=True)  # (B, K), one 1-D kernel per image
    kernel = kernel.repeat_interleave(c, 0)  # (B*C, K)
    flat = x.reshape(1, b * c, h, w)
    flat = F.pad(flat, (radius, radius, radius, radius), mode="reflect")
    flat = F.conv2d(flat, kernel.view(b * c, 1, 1, -1), groups=b * c)  # horizontal pass
    flat = F.conv2d(flat, kernel.view(b * c, 1, -1, 1), groups=b * c)  # vertical pass
    return torch.where(apply.view(-1, 1, 1, 1), flat.view(b, c, h, w), x)


def _solarize(x, apply, strength, generator):
    threshold = 1.0 - 0.5 * strength
    out = torch.where(x >= threshold, 1.0 - x, x)
    return torch.where(apply.view(-1, 1, 1, 1), out, x)


_OPS = {"color_jitter": _color_jitter, "hue": _hue, "grayscale": _grayscale, "blur": _blur, "solarize": _solarize}
