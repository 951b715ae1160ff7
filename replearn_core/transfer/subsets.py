"""Seeded per-class label subsets, identical for every strategy of a comparison."""

from __future__ import annotations

import math

import torch


def label_subsets(labels: torch.Tensor, fractions: list[float], seed: int = 0) -> dict[float, torch.Tensor]:
    """Indices of a labelled subset per fraction: the same share of every class, at least one image each.

    Each class's images are shuffled once with the seed and every fraction takes a prefix, so the
    subsets are nested (the 1 % images are among the 10 % images) and do not depend on the strategy:
    differences between rows come from the strategy, not from luckier labels.
    """
    g = torch.Generator().manual_seed(seed)
    per_class = []
    for c in labels.unique(sorted=True):
        idx = (labels == c).nonzero().flatten()
        per_class.append(idx[torch.randperm(len(idx), generator=g)])  # one fixed order per class
    out = {}
    for fraction in fractions:
        if not 0 < fraction <= 1:
            raise ValueError(f"label fraction must be within (0, 1], got {fraction}")
        chosen = [idx[:max(1, math.ceil(fraction * len(idx) - 1e-9))] for idx in per_class]
        out[fraction] = torch.cat(chosen).sort().values
    return out
