"""``digits``: scikit-learn's bundled 8×8 handwritten digits (1,797 images), offline."""

from __future__ import annotations

import torch

from replearn_core.data.base import ImageDataset, resize_uint8, stratified_split

CLASS_NAMES = [str(d) for d in range(10)]


def load_digits_split(split: str, image_size: int = 32) -> ImageDataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    gray = torch.tensor(bunch.images, dtype=torch.float32) * (255.0 / 16.0)  # (N, 8, 8) in 0..255
    images = gray.round().to(torch.uint8).unsqueeze(1).repeat(1, 3, 1, 1)  # (N, 3, 8, 8)
    images = resize_uint8(images, image_size)
    labels = torch.tensor(bunch.target, dtype=torch.long)
    if split != "all":
        train_idx, test_idx = stratified_split(labels, 0.25, seed=0)
        idx = train_idx if split == "train" else test_idx
        images, labels = images[idx], labels[idx]
    return ImageDataset("digits", images, labels, list(CLASS_NAMES))
