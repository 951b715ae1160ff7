"""Multi-kernel maximum mean discrepancy (MK-MMD), the distance DAN minimises between domains.

- [0] A Kernel Two-Sample Test, Gretton et al. 2012, https://jmlr.org/papers/v13/gretton12a.html
- [1] Learning Transferable Features with Deep Adaptation Networks (DAN), Long et al. 2015,
  https://arxiv.org/abs/1502.02791

With k a sum of Gaussian kernels k(x, y) = Σ_u exp(-||x - y||² / σ_u²), the squared MMD between a
source batch X and a target batch Y (the biased estimate) is

    MMD² = mean k(x, x') + mean k(y, y') - 2 mean k(x, y)

It is zero when the two batches are the same set of points. The bandwidths σ_u² are the mean
squared distance of the joint batch times multipliers 2^u, u = -2..2, so the kernels look at
the data at several scales whatever the size of the features.

>>> loss = mk_mmd(source_features, target_features)   # (B_s, d), (B_t, d)
"""

from __future__ import annotations

import torch

BANDWIDTH_MULTIPLIERS = (0.25, 0.5, 1.0, 2.0, 4.0)


def gaussian_kernels(x: torch.Tensor, y: torch.Tensor, bandwidths: torch.Tensor) -> torch.Tensor:
    """Σ_u exp(-||x_i - y_j||² / σ_u²), shape (len(x), len(y))."""
    d2 = torch.cdist(x, y).pow(2)  # (n, m)
    return torch.exp(-d2[None] / bandwidths[:, None, None]).sum(0)


def mk_mmd(source: torch.Tensor, target: torch.Tensor,
           multipliers: tuple[float, ...] = BANDWIDTH_MULTIPLIERS) -> torch.Tensor:
    """Biased MK-MMD² between source (B_s, d) and target (B_t, d) features."""
    if source.shape[1] != target.shape[1]:
        raise ValueError(f"source and target features differ in size: {source.shape[1]} vs {target.shape[1]}")
    x, y = source.float(), target.float()
    joint = torch.cat([x, y])
    with torch.no_grad():  # the bandwidth is a setting, not something to optimise
        base = torch.cdist(joint, joint).pow(2).sum() / max(len(joint) ** 2 - len(joint), 1)
        bandwidths = base.clamp_min(1e-6) * torch.tensor(multipliers, device=x.device)
    k_xx = gaussian_kernels(x, x, bandwidths).mean()
    k_yy = gaussian_kernels(y, y, bandwidths).mean()
    k_xy = gaussian_kernels(x, y, bandwidths).mean()
    return k_xx + k_yy - 2 * k_xy
