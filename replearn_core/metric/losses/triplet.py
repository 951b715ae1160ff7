"""Triplet margin loss with batch-all and batch-hard mining.

- [0] FaceNet, Schroff et al. 2015, https://arxiv.org/abs/1503.03832 (triplet loss)
- [1] In Defense of the Triplet Loss, Hermans et al. 2017, https://arxiv.org/abs/1703.07737
  (batch-all and batch-hard mining over P classes × K images per batch)

For an anchor a, a positive p (same class) and a negative n (another class):

    L(a, p, n) = max(0, d(a, p) - d(a, n) + margin)

with d the Euclidean distance between l2-normalised embeddings. A *miner* picks
which (a, p, n) index triplets of a batch the loss is averaged over:

- batch-all: every valid triplet of the batch (B·(K-1)·(B-K) of them); the loss
  is averaged over the triplets that still violate the margin, so the many easy
  ones do not dilute it.
- batch-hard: one triplet per anchor, with its farthest positive and its
  nearest negative.

>>> z = F.normalize(torch.randn(8, 16), dim=1); y = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
>>> a, p, n = batch_hard_triplets(pairwise_distances(z), y)
>>> loss = triplet_margin_loss(z[a], z[p], z[n], margin=0.2)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pairwise_distances(embeddings: torch.Tensor) -> torch.Tensor:
    """Euclidean distances (B, B) between the rows of embeddings (B, D); differentiable, exact 0 on the diagonal."""
    sq = embeddings.pow(2).sum(1)  # (B,)
    d2 = (sq[:, None] + sq[None, :] - 2 * embeddings @ embeddings.T).clamp_min(0)  # (B, B)
    eye = torch.eye(len(embeddings), dtype=torch.bool, device=embeddings.device)
    # sqrt has an infinite gradient at 0: keep the diagonal (and exact duplicates) away from it
    return (d2 + eye * 1e-12).sqrt().masked_fill(eye, 0.0)


def triplet_margin_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor,
                        margin: float = 0.2, reduction: str = "mean") -> torch.Tensor:
    """mean over triplets of max(0, ||a - p|| - ||a - n|| + margin); inputs (T, D).

    reduction: "mean" over all triplets, or "mean_active" over the triplets with a non-zero loss
    (the batch-all average of Hermans et al.).
    """
    if len(anchor) == 0:
        return anchor.sum() * 0.0  # no valid triplet in the batch: a zero that keeps the graph
    d_ap = (anchor - positive).pow(2).sum(1).clamp_min(1e-12).sqrt()  # (T,)
    d_an = (anchor - negative).pow(2).sum(1).clamp_min(1e-12).sqrt()  # (T,)
    losses = F.relu(d_ap - d_an + margin)
    if reduction == "mean":
        return losses.mean()
    if reduction == "mean_active":
        active = (losses > 1e-16).sum().clamp_min(1)
        return losses.sum() / active
    raise ValueError(f"unknown reduction {reduction!r}; use 'mean' or 'mean_active'")


def batch_all_triplets(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every valid (anchor, positive, negative) index triplet of a batch: y_a = y_p, a ≠ p, y_n ≠ y_a."""
    same = labels[:, None] == labels[None, :]  # (B, B)
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    positive = same & ~eye
    valid = positive[:, :, None] & ~same[:, None, :]  # (B, B, B): [a, p, n]
    a, p, n = valid.nonzero(as_tuple=True)
    return a, p, n


def batch_hard_triplets(distances: torch.Tensor, labels: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For each anchor that has a positive and a negative: its farthest positive and its nearest negative."""
    same = labels[:, None] == labels[None, :]  # (B, B)
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    positive = same & ~eye
    negative = ~same
    d = distances.detach()
    hardest_pos = d.masked_fill(~positive, -float("inf")).argmax(1)  # (B,)
    hardest_neg = d.masked_fill(~negative, float("inf")).argmin(1)  # (B,)
    usable = positive.any(1) & negative.any(1)
    anchors = usable.nonzero().flatten()
    return anchors, hardest_pos[anchors], hardest_neg[anchors]


def triplet_loss(embeddings: torch.Tensor, labels: torch.Tensor, margin: float = 0.2,
                 mining: str = "batch_hard", soft: bool = False) -> tuple[torch.Tensor, dict[str, float]]:
    """The triplet loss of a batch of embeddings (B, D) with a miner; also returns what to log.

    soft: the soft margin of Hermans et al. (log(1 + e^{d_ap - d_an}) instead of the hinge), which keeps
    pulling every triplet, so a batch-hard run cannot stall with all of them at the margin.
    """
    z = F.normalize(embeddings.float(), dim=1)
    d = pairwise_distances(z)  # (B, B)
    if mining == "batch_all":
        a, p, n = batch_all_triplets(labels)
    elif mining == "batch_hard":
        a, p, n = batch_hard_triplets(d, labels)
    else:
        raise ValueError(f"unknown mining {mining!r}; use 'batch_all' or 'batch_hard'")
    if len(a) == 0:
        return embeddings.sum() * 0.0, {"active_triplets": 0.0, "triplets": 0.0}
    if mining == "batch_all":  # B·(K-1)·(B-K) triplets: read off the distance matrix
        gap = d[a, p] - d[a, n]  # (T,)
    else:  # one triplet per anchor: exact differences, free of the matrix's cancellation near d = 0
        gap = ((z[a] - z[p]).pow(2).sum(1).clamp_min(1e-12).sqrt()
               - (z[a] - z[n]).pow(2).sum(1).clamp_min(1e-12).sqrt())
    losses = F.softplus(gap) if soft else F.relu(gap + margin)
    if mining == "batch_all" and not soft:
        loss = losses.sum() / (losses > 1e-16).sum().clamp_min(1)  # mean over the triplets still violating
    else:
        loss = losses.mean()
    with torch.no_grad():
        active = (gap + margin > 0).float().mean().item()
    return loss, {"active_triplets": active, "triplets": float(len(a))}
