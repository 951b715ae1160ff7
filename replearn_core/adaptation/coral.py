"""Deep CORAL: align the second-order statistics of source and target features.

- [0] Deep CORAL: Correlation Alignment for Deep Domain Adaptation, Sun & Saenko 2016,
  https://arxiv.org/abs/1607.01719

With C_S and C_T the feature covariances (d × d) of a source and a target batch:

    L_CORAL = ||C_S - C_T||²_F / (4 d²)

It is zero when the two batches have the same covariance, e.g. for identical batches.

>>> loss = coral_loss(source_features, target_features)   # (B_s, d), (B_t, d)
"""

from __future__ import annotations

import torch


def covariance(x: torch.Tensor) -> torch.Tensor:
    """Unbiased covariance (d, d) of the rows of x (B, d)."""
    centred = x - x.mean(0, keepdim=True)
    return centred.T @ centred / max(len(x) - 1, 1)


def coral_loss(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||Cov(source) - Cov(target)||²_F / (4 d²); source (B_s, d), target (B_t, d)."""
    if source.shape[1] != target.shape[1]:
        raise ValueError(f"source and target features differ in size: {source.shape[1]} vs {target.shape[1]}")
    d = source.shape[1]
    diff = covariance(source.float()) - covariance(target.float())
    return diff.pow(2).sum() / (4 * d * d)
