"""Supervised contrastive loss (SupCon): every same-class image is a positive.

- [0] Supervised Contrastive Learning, Khosla et al. 2020, https://arxiv.org/abs/2004.11362

For l2-normalised embeddings z_i, P(i) the other images of i's class in the
batch and A(i) all other images of the batch (the "L_out" form of the paper):

    L = (1/B) Σ_i  -1/|P(i)|  Σ_{p∈P(i)}  log( exp(z_i·z_p/τ) / Σ_{a∈A(i)} exp(z_i·z_a/τ) )

With one positive per image (two views, no labels) it is SimCLR's NT-Xent.

>>> loss = supcon_loss(embeddings, labels, temperature=0.1)   # (B, D), (B,)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def supcon_loss(embeddings: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Mean over anchors with at least one positive of the SupCon loss; embeddings (B, D), labels (B,)."""
    z = F.normalize(embeddings.float(), dim=1)
    logits = z @ z.T / temperature  # (B, B)
    eye = torch.eye(len(z), dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(eye, -float("inf"))  # an image is not its own contrast
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)  # (B, B) log softmax over A(i)
    positive = (labels[:, None] == labels[None, :]) & ~eye
    counts = positive.sum(1)
    has_pos = counts > 0
    if not has_pos.any():
        return embeddings.sum() * 0.0
    mean_log_prob_pos = log_prob.masked_fill(~positive, 0.0).sum(1)[has_pos] / counts[has_pos]
    return -mean_log_prob_pos.mean()
