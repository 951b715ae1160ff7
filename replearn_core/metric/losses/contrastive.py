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


def all_pairs_contrastive(z: torch.Tensor, labels: torch.Tensor, margin: float, distance: str = "cosine"
                          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The contrastive loss over every pair of a batch of l2-normalised embeddings z (B, D).

    Positive pairs: mean of d²; negative pairs: mean of max(0, margin - d)² over the pairs still inside the
    margin (the easy ones, most of a P×K batch, would otherwise dilute the push to nothing). distance:
    "cosine" (1 - cos, in [0, 2]) or "euclidean". Returns (loss, d (B, B), same (B, B) without the diagonal).
    """
    if distance == "cosine":
        d = 1 - z @ z.T
    else:
        d = (2 - 2 * z @ z.T).clamp_min(1e-12).sqrt()
    eye = torch.eye(len(z), dtype=torch.bool, device=z.device)
    same = (labels[:, None] == labels[None, :]) & ~eye
    other = labels[:, None] != labels[None, :]
    pos = d[same].pow(2).mean() if same.any() else z.sum() * 0.0
    push = F.relu(margin - d[other]).pow(2)
    neg = push.sum() / (push > 0).sum().clamp_min(1)
    return pos + neg, d, same


def siamese_loss(embeddings: torch.Tensor, labels: torch.Tensor, margin: float = 1.0,
                 generator: torch.Generator | None = None, pairs: str = "balanced", distance: str = "euclidean"
                 ) -> tuple[torch.Tensor, dict[str, float]]:
    """The contrastive loss of a batch of embeddings (B, D), l2-normalised first.

    pairs: "balanced" (every positive pair and as many random negative pairs, Euclidean distance, the
    classic form) or "all" (every pair of the batch, negatives averaged over those inside the margin;
    ``distance`` cosine or euclidean).
    """
    z = F.normalize(embeddings.float(), dim=1)
    if pairs == "all":
        loss, d, same = all_pairs_contrastive(z, labels, margin, distance)
        other = labels[:, None] != labels[None, :]
        with torch.no_grad():
            pos = d[same].mean().item() if same.any() else 0.0
            neg = d[other].mean().item() if other.any() else 0.0
        return loss, {"pos_distance": pos, "neg_distance": neg}
    i, j, same = balanced_pairs(labels, generator)
    loss = contrastive_loss(z[i], z[j], same, margin)
    with torch.no_grad():
        d = (z[i] - z[j]).norm(dim=1)
        pos = d[same].mean().item() if same.any() else 0.0
        neg = d[~same].mean().item() if (~same).any() else 0.0
    return loss, {"pos_distance": pos, "neg_distance": neg}
