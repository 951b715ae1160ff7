"""The published apple↔orange generators of Zhu et al. (2017), downloaded once and walked like any other model.

The official PyTorch release offers one file per direction (``apple2orange.pth``: G_AB, apples to
oranges; ``orange2apple.pth``: G_BA), each the ``state_dict`` of its ``ResnetGenerator`` with 64 filters,
9 residual blocks and instance norm, trained on 256-pixel photos. This product's
:class:`~replearn_core.cyclegan.models.ResnetGenerator` has the same layers in the same order, so the
mapping is a renaming, checked key by key and shape by shape:

=================================  =====================  =========================================
official key                       product key            layer
=================================  =====================  =========================================
``model.1.weight``                 ``net.1.weight``       7×7 input convolution
``model.{4,7}.*``                  ``net.{4,7}.*``        the two stride-2 convolutions
``model.{10..18}.conv_block.{1,5}`` ``net.{10..18}.body.{1,5}`` the residual blocks' two convolutions
``model.{19,22}.*``                ``net.{19,22}.*``      the two transposed convolutions
``model.26.*``                     ``net.26.*``           7×7 output convolution
=================================  =====================  =========================================

Instance norm has no weights here (``affine=False``); files saved by torch before 0.4 carry
``running_mean`` / ``running_var`` / ``num_batches_tracked`` buffers for it, which are dropped. Anything
else that does not map (a key left over or missing, a shape that differs) is an error that names it.

The release publishes no checksums. The first download's SHA-256 is written beside the converted file
(``published.json``) and the converted weights are kept as safetensors; the ``.pth`` files are read once,
with ``weights_only=True`` (never unpickled as code), then deleted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from replearn_core.checkpoints import CheckpointError, read_state_file
from replearn_core.download import DownloadError, Progress, download_file, sha256_of
from replearn_core.paths import subdir

RELEASE_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/{name}.pth"
DIRECTIONS = {"G_AB": "apple2orange", "G_BA": "orange2apple"}  # which release file is which generator
NGF, N_BLOCKS, IMAGE_SIZE = 64, 9, 256  # the release's generator and the photo size it was trained at
SOURCE = "published"  # the walk's name for this model
OFFLINE_HINT = "Offline, the bundled model (trained on drawn fruit at 64 px) still works on this page."
_NORM_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def published_dir() -> Path:
    return subdir("weights", "cyclegan-published")


def weights_path() -> Path:
    return published_dir() / "published.safetensors"


def card_path() -> Path:
    return published_dir() / "published.json"


def is_downloaded() -> bool:
    return weights_path().is_file() and card_path().is_file()


def official_to_product(state: dict[str, torch.Tensor], reference: dict[str, torch.Tensor] | None = None,
                        name: str = "the file") -> dict[str, torch.Tensor]:
    """Rename an official ``ResnetGenerator`` state dict to this product's keys, checked against ``reference``
    (the state dict of a product generator with 64 filters and 9 blocks, the default).

    Raises CheckpointError naming every key that does not map and every shape that differs.
    """
    if reference is None:
        from replearn_core.cyclegan.models import ResnetGenerator
        reference = ResnetGenerator(NGF, N_BLOCKS).state_dict()
    out, unmapped = {}, []
    for key, value in state.items():
        key = key.removeprefix("module.")  # saved from a DataParallel wrapper
        if key.rsplit(".", 1)[-1] in _NORM_BUFFERS:
            continue
        match = re.fullmatch(r"model\.(\d+)\.(?:conv_block\.(\d+)\.)?(weight|bias)", key)
        if not match:
            unmapped.append(key)
            continue
        layer, inner, param = match.groups()
        out[f"net.{layer}.body.{inner}.{param}" if inner else f"net.{layer}.{param}"] = value
    missing = sorted(set(reference) - set(out))
    unmapped += sorted(set(out) - set(reference))
    shapes = [f"{k}: {tuple(out[k].shape)} here, {tuple(v.shape)} expected"
              for k, v in reference.items() if k in out and out[k].shape != v.shape]
    if unmapped or missing or shapes:
        parts = [f"{label} ({len(items)}): {', '.join(items[:6])}{' …' if len(items) > 6 else ''}"
                 for label, items in (("keys that map to no layer", unmapped), ("missing", missing),
                                      ("shape mismatches", shapes)) if items]
        raise CheckpointError(f"{name} is not an official CycleGAN generator with {NGF} filters and {N_BLOCKS} "
                              f"residual blocks. " + "; ".join(parts))
    return {k: v.float().contiguous() for k, v in out.items()}


def download_published(progress: Progress | None = None, url: str = RELEASE_URL,
                       timeout: float | None = None) -> Path:
    """Download both generators once (resuming a broken download), convert them, and return the weights file.

    Offline, raises :class:`~replearn_core.download.DownloadError` within the download timeout, saying so; a
    file that is no official generator raises CheckpointError and leaves nothing converted behind.
    """
    from safetensors.torch import save_file

    if is_downloaded():
        return weights_path()
    folder = published_dir()
    tensors, checksums = {}, {}
    for prefix, name in DIRECTIONS.items():
        try:
            raw = download_file(url.format(name=name), folder / f"{name}.pth", progress=progress, timeout=timeout)
        except DownloadError as exc:
            raise DownloadError(f"{exc} {OFFLINE_HINT}") from exc
        checksums[name] = sha256_of(raw)
        # weights_only=True: pickled code is refused, never run; the official release predates torch's zip
        # format, and these files come from its fixed address, never from a user
        state = read_state_file(raw, allow_legacy=True)
        tensors.update({f"{prefix}.{k}": v for k, v in official_to_product(state, name=raw.name).items()})
    tmp = weights_path().with_suffix(".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(weights_path())
    card_path().write_text(json.dumps({
        "description": (f"The published CycleGAN generators of Zhu et al. (2017), trained on the apple2orange "
                        f"photos at {IMAGE_SIZE} px ({NGF} filters, {N_BLOCKS} residual blocks), downloaded "
                        f"from the official release."),
        "urls": {name: url.format(name=name) for name in DIRECTIONS.values()},
        "sha256": checksums,
    }, indent=2))
    for name in DIRECTIONS.values():
        (folder / f"{name}.pth").unlink(missing_ok=True)
    return weights_path()
