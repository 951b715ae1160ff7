"""``folder:PATH``: any class-per-folder image tree (torchvision's ImageFolder layout).

If PATH holds ``train/`` and ``test/`` sub-trees they are the splits; otherwise a
seeded fifth of each class is held out for evaluation. Files that cannot be read
as images (not images, damaged, decompression bombs) are skipped and listed, with
the reason, in a note shown to the user.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from replearn_core.data.base import DatasetError, ImageDataset, stratified_split
from replearn_core.data.images import read_image, skipped_note, unreadable_reason

__all__ = ["IMAGE_SUFFIXES", "load_folder", "read_image"]

MIN_SPLIT_IMAGES = 2  # each split a run reads holds at least this many images
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm"}


def load_folder(path: str, split: str, image_size: int = 32) -> ImageDataset:
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetError(f"folder:{path}: no such folder. Give a folder with one sub-folder per class.",
                           "folder_missing", path=str(path))
    if (root / "train").is_dir() and (root / "test").is_dir() and split in ("train", "test"):
        return _enough(_read_tree(str((root / split).resolve()), image_size, _mtime(root / split)), path, split)
    full = _read_tree(str(root.resolve()), image_size, _mtime(root))
    if split == "all":
        return _enough(full, path, split)
    train_idx, test_idx = stratified_split(full.labels, 0.2, seed=0)
    return _enough(full.subset(train_idx if split == "train" else test_idx), path, split)


def _enough(data: ImageDataset, path: str, split: str) -> ImageDataset:
    """Refuse a split too small to train on or to score (a batch needs two images; a held-out split of none
    left the run failing deep in PyTorch with 'Expected non-zero, positive output size')."""
    if len(data) < MIN_SPLIT_IMAGES:
        raise DatasetError(f"folder:{path}: only {len(data)} readable image(s) for the {split} split; a run needs "
                           f"at least {MIN_SPLIT_IMAGES} in each split (a fifth of every class with two or more "
                           f"images is held out). Add images: a few dozen per class.",
                           "folder_too_few", path=str(path), n=len(data), split=split, need=MIN_SPLIT_IMAGES)
    return data


def _mtime(path: Path) -> float:
    return max([path.stat().st_mtime] + [p.stat().st_mtime for p in path.iterdir() if p.is_dir()])


@lru_cache(maxsize=8)
def _read_tree(root: str, image_size: int, _mtime_key: float) -> ImageDataset:
    class_dirs = sorted(d for d in Path(root).iterdir() if d.is_dir() and not d.name.startswith("."))
    if not class_dirs:
        raise DatasetError(f"folder:{root} has no class sub-folders (expected e.g. {root}/cat/*.jpg).",
                           "folder_no_classes", path=str(root))
    images, labels, skipped = [], [], []
    for label, class_dir in enumerate(class_dirs):
        for file in sorted(class_dir.iterdir()):
            if not file.is_file() or file.name.startswith("."):
                continue
            try:
                images.append(read_image(file, image_size))
                labels.append(label)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is skipped and reported
                skipped.append((f"{class_dir.name}/{file.name}", unreadable_reason(exc)))
    if not images:
        raise DatasetError(f"folder:{root}: no readable images in {len(class_dirs)} class folders.",
                           "folder_no_images", path=str(root), n=len(class_dirs))
    notes = []
    if skipped:
        notes.append(skipped_note(skipped, f"folder:{root}: "))
    data = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()  # (N, 3, S, S)
    name = f"folder:{os.path.relpath(root) if not root.startswith('..') else root}"
    return ImageDataset(name, data, torch.tensor(labels), [d.name for d in class_dirs], notes)

