"""The networks of an adaptation run: encoder + label classifier, and DANN's domain classifier."""

from __future__ import annotations

import torch
from torch import nn

from replearn_core.adaptation.grl import GradientReversal


class AdaptNet(nn.Module):
    """Encoder f (a backbone and a bottleneck) and label classifier g: logits = g(f(x)).

    The bottleneck (Linear-BN-ReLU, as in the DANN and DAN implementations) keeps the
    aligned features at a fixed scale, so the reversed gradient of DANN cannot win by
    inflating them.
    """

    def __init__(self, backbone: nn.Module, num_classes: int, bottleneck_dim: int = 128):
        super().__init__()
        self.backbone = backbone
        self.bottleneck = nn.Sequential(nn.Linear(backbone.feature_dim, bottleneck_dim), nn.BatchNorm1d(bottleneck_dim),
                                        nn.ReLU(inplace=True))
        self.feature_dim = bottleneck_dim
        self.classifier = nn.Linear(bottleneck_dim, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.bottleneck(self.backbone(x))  # (B, 3, H, W) -> (B, bottleneck_dim)
        return features, self.classifier(features)  # (B, d), (B, C)


class DomainClassifier(nn.Module):
    """D(R_λ(f)): a small MLP that predicts the domain (logit > 0: target) behind a gradient reversal layer."""

    def __init__(self, feature_dim: int, hidden: int = 128):
        super().__init__()
        self.reverse = GradientReversal(0.0)
        self.net = nn.Sequential(nn.Linear(feature_dim, hidden), nn.ReLU(inplace=True),
                                 nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(self.reverse(features)).squeeze(1)  # (B,)
