"""The metric-learning model: a backbone, a linear embedding head, and one loss from the registry."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace

import torch
from torch import nn

from replearn_core.metric import METRIC_METHODS
from replearn_core.options import resolve_options


def metric_options(method: str, given: Mapping | None = None) -> SimpleNamespace:
    """The loss's settings for a run: ``given`` checked against its declared options (an unknown name or a
    value out of range is an error naming it), the declared default for every other one; read as attributes
    (``options.margin``)."""
    if method not in METRIC_METHODS:
        raise ValueError(f"unknown metric-learning method {method!r}; known: {', '.join(METRIC_METHODS)}")
    return SimpleNamespace(**resolve_options(METRIC_METHODS[method].options, given, method))


class MetricModel(nn.Module):
    def __init__(self, method: str, backbone: nn.Module, num_classes: int, options: Mapping | None = None):
        super().__init__()
        self.options = options = metric_options(method, options)  # every setting of the loss, typed
        self.method = method
        self.backbone = backbone
        self.head = nn.Linear(backbone.feature_dim, options.embedding_dim)
        # centring: at initialisation every embedding shares one large common direction (all cosines near 1),
        # and batch-hard mining then pulls everything to a point; subtracting the mean removes that direction
        self.register_buffer("embedding_mean", torch.zeros(options.embedding_dim))
        self.progress = 0.0  # share of the run's steps done; the job sets it (batch-all warm-up of batch-hard)
        centres = METRIC_METHODS[method].class_centres  # ArcFace: a learned centre per class
        self.class_centres = (centres(options.embedding_dim, num_classes, options.scale, options.margin)
                              if centres is not None else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        emb = self.head(self.backbone(x))  # (B, embedding_dim)
        if not self.options.center:
            return emb
        if self.training and len(emb) > 1:
            mean = emb.mean(0)
            with torch.no_grad():
                self.embedding_mean.lerp_(mean.detach().float(), 0.1)
            return emb - mean
        return emb - self.embedding_mean.to(emb.dtype)

    def head_state(self) -> dict[str, torch.Tensor]:
        """The embedding head as one linear layer, the running mean folded into its bias when centring."""
        state = {k: v.detach().clone() for k, v in self.head.state_dict().items()}
        if self.options.center:
            state["bias"] = state["bias"] - self.embedding_mean
        return state

    def loss(self, x: torch.Tensor, labels: torch.Tensor, generator: torch.Generator | None = None
             ) -> tuple[torch.Tensor, dict[str, float]]:
        emb = self(x).float()
        return METRIC_METHODS[self.method].loss(self, emb, labels, generator)
