"""ArcFace: additive angular margin on learned class centres.

- [0] ArcFace, Deng et al. 2019, https://arxiv.org/abs/1801.07698

Each class c owns a centre W_c (a learned weight vector). With θ_c the angle
between the l2-normalised embedding x and the normalised centre W_c, the logit of
the true class y gets an extra angle m before the softmax:

    L = -log( e^{s·cos(θ_y + m)} / (e^{s·cos(θ_y + m)} + Σ_{c≠y} e^{s·cos θ_c}) )

s (the scale) sharpens the softmax on the unit sphere; m (radians) forces each
embedding to sit at least m closer in angle to its own centre than a plain
softmax would need.

>>> head = ArcFace(embedding_dim=64, num_classes=10)
>>> loss = head(embeddings, labels)          # embeddings (B, 64), labels (B,)
>>> loss = arcface_loss(embeddings, head.weight, labels, scale=16.0, margin=0.3)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def arcface_logits(embeddings: torch.Tensor, centres: torch.Tensor, labels: torch.Tensor,
                   scale: float = 16.0, margin: float = 0.3) -> torch.Tensor:
    """Logits (B, C) = s·cos θ, with θ_y replaced by θ_y + m for the true class; centres (C, D)."""
    cos = F.normalize(embeddings.float(), dim=1) @ F.normalize(centres.float(), dim=1).T  # (B, C)
    cos = cos.clamp(-1 + 1e-7, 1 - 1e-7)
    theta = torch.acos(cos)
    target = F.one_hot(labels, cos.shape[1]).bool()
    # past θ = π - m, cos(θ + m) would increase again; fall back to the linear penalty of the paper's code
    with_margin = torch.where(theta + margin < math.pi, torch.cos(theta + margin),
                              cos - margin * math.sin(margin))
    return scale * torch.where(target, with_margin, cos)


def arcface_loss(embeddings: torch.Tensor, centres: torch.Tensor, labels: torch.Tensor,
                 scale: float = 16.0, margin: float = 0.3) -> torch.Tensor:
    """Cross-entropy of the ArcFace logits; embeddings (B, D), centres (C, D), labels (B,)."""
    return F.cross_entropy(arcface_logits(embeddings, centres, labels, scale, margin), labels)


class ArcFace(nn.Module):
    """The ArcFace head: its own class-centre weights (C, D), trained with the encoder."""

    def __init__(self, embedding_dim: int, num_classes: int, scale: float = 16.0, margin: float = 0.3):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_classes, embedding_dim))
        nn.init.xavier_uniform_(self.weight)
        self.scale = scale
        self.margin = margin

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return arcface_loss(embeddings, self.weight, labels, self.scale, self.margin)
