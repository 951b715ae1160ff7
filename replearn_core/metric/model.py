"""The metric-learning model: a backbone, a linear embedding head, and one loss from the registry."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from replearn_core.metric import METRIC_METHODS
from replearn_core.metric.losses import ArcFace, siamese_loss, supcon_loss, triplet_loss


@dataclass
class MetricOptions:
    """Settings of a metric-learning run that TrainConfig does not have; they come in ``options``."""
    embedding_dim: int = 64  # size of the embedding that retrieval compares
    m_per_class: int = 8  # images per class in each batch (class-balanced sampler)
    margin: float | None = None  # loss margin; None = the method's default (triplet 0.2, contrastive 1.0, ArcFace 0.3 rad)
    mining: str = "batch_hard"  # triplet miner: batch_hard or batch_all
    scale: float = 16.0  # ArcFace scale s
    augment: bool = True  # light random crops and colour jitter on the training images

    @classmethod
    def from_dict(cls, data: dict) -> "MetricOptions":
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown metric-learning option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        out = cls(**data)
        if out.mining not in ("batch_hard", "batch_all"):
            raise ValueError(f"mining must be batch_hard or batch_all, got {out.mining!r}")
        if not 2 <= int(out.embedding_dim) <= 4096:
            raise ValueError("embedding_dim must be between 2 and 4096")
        if int(out.m_per_class) < 2:
            raise ValueError("m_per_class must be at least 2: an image needs a positive in its batch")
        return out


class MetricModel(nn.Module):
    def __init__(self, method: str, backbone: nn.Module, num_classes: int, options: MetricOptions,
                 temperature: float = 0.1):
        super().__init__()
        if method not in METRIC_METHODS:
            raise ValueError(f"unknown metric-learning method {method!r}; known: {', '.join(METRIC_METHODS)}")
        self.method = method
        self.backbone = backbone
        self.head = nn.Linear(backbone.feature_dim, options.embedding_dim)
        self.options = options
        self.temperature = temperature
        defaults = METRIC_METHODS[method].options
        self.margin = options.margin if options.margin is not None else defaults.get("margin", 0.0)
        self.arcface = (ArcFace(options.embedding_dim, num_classes, options.scale, self.margin)
                        if method == "arcface" else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))  # (B, embedding_dim)

    def loss(self, x: torch.Tensor, labels: torch.Tensor, generator: torch.Generator | None = None
             ) -> tuple[torch.Tensor, dict[str, float]]:
        emb = self(x).float()
        if self.method == "triplet":
            return triplet_loss(emb, labels, self.margin, self.options.mining)
        if self.method == "contrastive":
            return siamese_loss(emb, labels, self.margin, generator)
        if self.method == "arcface":
            return self.arcface(emb, labels), {}
        return supcon_loss(emb, labels, self.temperature), {}
