"""The two image domains of a CycleGAN run: ``load_domains(spec, split, size) -> DomainPair``.

Specs:

- ``fruit``: built-in procedurally drawn apples (A) and oranges (B), offline;
- ``apple2orange``: the official CycleGAN set (995 apples, 1,019 oranges, 256 px),
  downloaded once into ``<data folder>/downloads`` and unpacked into
  ``<data folder>/datasets/apple2orange``;
- ``folder:PATH``: any folder in the same layout: ``trainA/``, ``trainB/`` and
  optionally ``testA/``, ``testB/`` of image files. Without test folders a
  seeded tenth of each training folder is held out.

Images are read as uint8 (N, 3, S, S), shorter side resized and centre-cropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from replearn_core.data.base import DatasetError
from replearn_core.data.folder import IMAGE_SUFFIXES
from replearn_core.data.images import read_image, skipped_note, unreadable_reason

APPLE2ORANGE_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/apple2orange.zip"
# The publisher gives no checksum; None means "check that the archive is complete and a valid zip".
APPLE2ORANGE_SHA256: str | None = None
DATASET_SPECS = {
    "fruit": "built-in procedurally drawn apples ↔ oranges (offline, 400 + 400 train, 24 + 24 test)",
    "apple2orange": "the official CycleGAN photos (995 apples, 1,019 oranges; downloads 78 MB once)",
    "folder:PATH": "any folder with trainA/, trainB/ (and optionally testA/, testB/) of images",
}


@dataclass
class DomainPair:
    """Unpaired images of two domains: a (Na, 3, S, S) and b (Nb, 3, S, S) uint8."""

    name: str
    a: torch.Tensor
    b: torch.Tensor
    names_a: list[str] = field(default_factory=list)  # file names, when read from a folder
    names_b: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # messages for the user (skipped files, ...)

    def take(self, n: int | None) -> "DomainPair":
        if n is None:
            return self
        return DomainPair(self.name, self.a[:n], self.b[:n], self.names_a[:n], self.names_b[:n], list(self.notes))


def load_domains(spec: str, split: str = "train", image_size: int = 64, progress=None,
                 limit: int | None = None) -> DomainPair:
    """Load both domains of a split ("train" or "test"), at most limit images each (None = all).

    Raises DatasetError with a clear message. progress(done_bytes, total) reports a download.
    """
    spec = (spec or "").strip()
    if split not in ("train", "test"):
        raise DatasetError(f"unknown split {split!r}; use train or test")
    if not isinstance(image_size, int) or not 16 <= image_size <= 512:
        raise DatasetError(f"image size must be an integer between 16 and 512, got {image_size!r}")
    if spec == "fruit":
        return _fruit(split, image_size, limit)
    if spec == "apple2orange":
        root = ensure_apple2orange(progress=progress)
        pair = load_folder_pair(str(root), split, image_size, limit)
        pair.name = "apple2orange"
        return pair
    if spec.startswith("folder:"):
        return load_folder_pair(spec[len("folder:"):], split, image_size, limit)
    raise DatasetError(f"unknown CycleGAN dataset {spec!r}; use fruit, apple2orange or folder:PATH")


@lru_cache(maxsize=8)
def _fruit(split: str, image_size: int, limit: int | None) -> DomainPair:
    from replearn_core.cyclegan.fruit import load_fruit

    a, b = load_fruit(split, image_size, limit)
    return DomainPair("fruit", a, b, [f"apple_{i:03d}" for i in range(len(a))],
                      [f"orange_{i:03d}" for i in range(len(b))])


def load_folder_pair(path: str, split: str, image_size: int, limit: int | None = None) -> DomainPair:
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetError(f"folder:{path}: no such folder. Give a folder holding trainA/ and trainB/.")
    for domain in ("trainA", "trainB"):
        if not (root / domain).is_dir():
            raise DatasetError(f"folder:{path} has no {domain}/ folder. A CycleGAN folder needs trainA/ and "
                               f"trainB/ (one domain each) and optionally testA/ and testB/.")
    has_test = (root / "testA").is_dir() and (root / "testB").is_dir()
    if split == "test" and not has_test:
        pair = _read_pair(str(root.resolve()), "train", image_size, _mtime(root))
        return _held_out(pair, test=True).take(limit)
    # with a held-out tenth, read 10/9 of the limit so that the limit is still met after holding out
    read = limit if limit is None or has_test else math.ceil(limit * 10 / 9) + 1
    pair = _read_pair(str(root.resolve()), split, image_size, _mtime(root), read)
    return (pair if has_test or split == "test" else _held_out(pair, test=False)).take(limit)


def _held_out(pair: DomainPair, test: bool) -> DomainPair:
    """Without testA/testB, every tenth image of each domain is held out as the test split."""
    def pick(x, names):
        keep = [i for i in range(len(x)) if (i % 10 == 9) == test] or [0]
        return x[keep], [names[i] for i in keep]
    a, names_a = pick(pair.a, pair.names_a)
    b, names_b = pick(pair.b, pair.names_b)
    return DomainPair(pair.name, a, b, names_a, names_b, list(pair.notes))


def _mtime(root: Path) -> float:
    return max([root.stat().st_mtime] + [p.stat().st_mtime for p in root.iterdir() if p.is_dir()])


@lru_cache(maxsize=8)
def _read_pair(root: str, split: str, image_size: int, _mtime_key: float, limit: int | None = None) -> DomainPair:
    images, names, notes = {}, {}, []
    for domain in ("A", "B"):
        folder = Path(root) / f"{split}{domain}"
        files = sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
        decoded, skipped = [], []
        for file in files:
            if limit is not None and len(decoded) >= limit:
                break
            try:
                decoded.append(read_image(file, image_size))
                names.setdefault(domain, []).append(file.name)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is skipped and reported
                skipped.append((file.name, unreadable_reason(exc)))
        if not decoded:
            what = "is empty" if not files else f"holds no readable images ({len(files)} files could not be read)"
            raise DatasetError(f"{folder} {what}. Put the domain's images (jpg, png, ...) there; "
                               f"known suffixes: {', '.join(sorted(IMAGE_SUFFIXES))}.")
        if skipped:
            notes.append(skipped_note(skipped, f"{split}{domain}: "))
        images[domain] = torch.from_numpy(np.stack(decoded)).permute(0, 3, 1, 2).contiguous()  # (N, 3, S, S)
    return DomainPair(f"folder:{root}", images["A"], images["B"], names["A"], names["B"], notes)


def ensure_apple2orange(progress=None) -> Path:
    """Download and unpack apple2orange once; returns the folder holding trainA/, trainB/, testA/, testB/."""
    from replearn_core.download import DownloadError, download_file, safe_extract
    from replearn_core.paths import subdir

    target = subdir("datasets")
    root = target / "apple2orange"
    if all((root / d).is_dir() for d in ("trainA", "trainB", "testA", "testB")):
        return root
    archive = subdir("downloads") / "apple2orange.zip"
    try:
        download_file(APPLE2ORANGE_URL, archive, sha256=APPLE2ORANGE_SHA256, progress=progress)
        safe_extract(archive, target)
    except DownloadError as exc:
        raise DatasetError(f"apple2orange: {exc} Or use the built-in 'fruit' set, which works offline.") from exc
    if not (root / "trainA").is_dir():
        raise DatasetError(f"apple2orange: the archive did not contain apple2orange/trainA; delete {archive} "
                           f"and try again.")
    return root
