"""The dataset type every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F


class DatasetError(ValueError):
    """A dataset could not be loaded; the message says why and what to do.

    ``code`` and ``params``, when given, name the message's catalogue text (``error.<code>`` in
    ``replearn_core/i18n/catalogue/``), so a page can show it in its own language; ``str(exc)`` stays the English
    message, for the command line and the logs."""

    def __init__(self, message: str, code: str | None = None, **params):
        super().__init__(message)
        self.code, self.params = code, params


@dataclass
class ImageDataset:
    """A split of labelled images held in memory as one uint8 tensor.

    images: (N, 3, H, W) uint8, labels: (N,) int64, class_names[label] names a class.
    Holding the whole split as a tensor lets the trainer move it to the GPU once
    and batch by slicing, instead of decoding images in worker processes.
    """

    name: str
    images: torch.Tensor  # (N, 3, H, W) uint8
    labels: torch.Tensor  # (N,) int64
    class_names: list[str]
    notes: list[str] = field(default_factory=list)  # messages for the user (skipped files, ...)

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 4 or self.images.shape[1] != 3:
            raise DatasetError(f"{self.name}: images must be a (N, 3, H, W) uint8 tensor, got "
                               f"{tuple(self.images.shape)} {self.images.dtype}")
        if len(self.images) != len(self.labels):
            raise DatasetError(f"{self.name}: {len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])

    def subset(self, indices: torch.Tensor | list[int], name: str | None = None) -> "ImageDataset":
        idx = torch.as_tensor(indices, dtype=torch.long)
        return ImageDataset(name or self.name, self.images[idx], self.labels[idx], self.class_names,
                            list(self.notes))

    def take(self, n: int, seed: int = 0) -> "ImageDataset":
        """A seeded random subset of at most n images (the whole split if smaller)."""
        if n >= len(self):
            return self
        g = torch.Generator().manual_seed(seed)
        return self.subset(torch.randperm(len(self), generator=g)[:n])

    def resized(self, size: int) -> "ImageDataset":
        if self.image_size == size and self.images.shape[-2] == size:
            return self
        return ImageDataset(self.name, resize_uint8(self.images, size), self.labels, self.class_names,
                            list(self.notes))


def resize_uint8(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize a uint8 (N, 3, H, W) batch to size×size with antialiasing, in chunks."""
    out = []
    for chunk in images.split(2048):
        x = chunk.float()
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                          antialias=x.shape[-1] > size)
        out.append(x.round().clamp(0, 255).to(torch.uint8))
    return torch.cat(out) if out else images.new_zeros((0, 3, size, size))


def stratified_split(labels: torch.Tensor, test_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of a seeded per-class split into (train, test)."""
    g = torch.Generator().manual_seed(seed)
    train, test = [], []
    for c in labels.unique():
        idx = (labels == c).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_test = max(1, int(round(len(idx) * test_fraction))) if len(idx) > 1 else 0
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values
