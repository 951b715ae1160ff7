"""The contrastive loss of Siamese networks, on pairs of embeddings.

- [0] Dimensionality Reduction by Learning an Invariant Mapping, Hadsell, Chopra & LeCun 2006,
  http://yann.lecun.com/exdb/publis/pdf/hadsell-chopra-lecun-06.pdf

Two copies of the same encoder (a Siamese pair: shared weights) embed x₁ and x₂;
with d = ||f(x₁) - f(x₂)|| and y = 1 for a same-class pair, 0 otherwise:

    L = y · d² + (1 - y) · max(0, margin - d)²

Similar pairs are pulled together; dissimilar ones are pushed apart until they
are at least ``margin`` away, and then left alone.

>>> loss = contrastive_loss(z1, z2, same, margin=1.0)   # z1, z2 (P, D), same (P,) bool
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def contrastive_loss(z1: torch.Tensor, z2: torch.Tensor, same: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """mean over pairs of y·d² + (1 - y)·max(0, margin - d)²; z1, z2 (P, D), same (P,) bool or 0/1."""
    d = (z1 - z2).pow(2).sum(1).clamp_min(1e-12).sqrt()  # (P,)
    y = same.to(d.dtype)
    return (y * d.pow(2) + (1 - y) * F.relu(margin - d).pow(2)).mean()


def balanced_pairs(labels: torch.Tensor, generator: torch.Generator | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Index pairs (i, j, same) of a batch: every positive pair and as many random negative pairs.

    A batch of P classes × K images has far more negative than positive pairs;
    sampling them in equal numbers keeps either term from drowning the other.
    """
    same = labels[:, None] == labels[None, :]
    upper = torch.ones_like(same).triu(1)  # each unordered pair once
    pi, pj = (same & upper).nonzero(as_tuple=True)
    ni, nj = (~same & upper).nonzero(as_tuple=True)
    if len(ni) > len(pi) > 0:
        pick = torch.randperm(len(ni), generator=generator)[:len(pi)].to(ni.device)
        ni, nj = ni[pick], nj[pick]
    i = torch.cat([pi, ni])
    j = torch.cat([pj, nj])
    flags = torch.cat([torch.ones_like(pi, dtype=torch.bool), torch.zeros_like(ni, dtype=torch.bool)])
    return i, j, flags


def siamese_loss(embeddings: torch.Tensor, labels: torch.Tensor, margin: float = 1.0,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """The contrastive loss over balanced pairs of a batch of embeddings (B, D), l2-normalised first."""
    z = F.normalize(embeddings.float(), dim=1)
    i, j, same = balanced_pairs(labels, generator)
    loss = contrastive_loss(z[i], z[j], same, margin)
    with torch.no_grad():
        d = (z[i] - z[j]).norm(dim=1)
        pos = d[same].mean().item() if same.any() else 0.0
        neg = d[~same].mean().item() if (~same).any() else 0.0
    return loss, {"pos_distance": pos, "neg_distance": neg}
